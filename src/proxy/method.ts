import { ERRORS, type GatewayError } from './errors.js';

/**
 * The request method, as Kong (nginx) admits it: upper-case letters, `_` and `-`, nothing else.
 * nginx answers any other method (lower-case `get`, digits, `G(T`, an empty one) with 400 and
 * refuses CONNECT (a gateway does not tunnel) and TRACE (it would echo the client's headers,
 * cookies included, back to a script: cross-site tracing) with 405. Sluice does the same for every method
 * uWebSockets.js hands it; which methods each uWS build hands over at all is in README "Known
 * limitations" (20.30: only the nine of RFC 9110 and PATCH; 20.57: any run of bytes 0x21-0x7E).
 *
 * A loop over the method's characters: no regular expression on the request path.
 */
export function methodError(method: string): GatewayError | null {
  const n = method.length;
  if (n === 0) return ERRORS.badMethod;
  for (let i = 0; i < n; i++) {
    const c = method.charCodeAt(i);
    if ((c < 65 || c > 90) && c !== 95 && c !== 45) return ERRORS.badMethod;
  }
  if (n === 7) {
    if (method === 'CONNECT') return ERRORS.connectMethod;
  } else if (n === 5 && method === 'TRACE') return ERRORS.traceMethod;
  return null;
}
