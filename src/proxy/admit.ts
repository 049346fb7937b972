import type { MatchInput } from '../router/types.js';
import type { RouteRuntime, Snapshot } from '../snapshot/types.js';
import { ERRORS, type GatewayError } from './errors.js';
import { stripPort } from './forwarded.js';
import { requestFraming } from './framing.js';
import { methodError } from './method.js';
import { normalizePath } from '../router/normalize.js';
import type { PluginRequest } from './plugin-request.js';
import type { ProxyState } from './state.js';

/**
 * Admission, the same for an HTTP request (http.ts) and a WebSocket upgrade (websocket.ts):
 * header limits, framing and bytes (`admitHead`), then path normalisation, the router and the
 * route's protocols with the https redirect (`admitRoute`). Each returns null when the request
 * may go on, else the error to answer; nothing here writes to uWS. A new admission rule is a
 * line in one of these two functions (and its ERRORS entry).
 */

/** A request being admitted: the plugin context, which is also the router's input. */
export type Admittable = PluginRequest & MatchInput & { snapshot: Snapshot; closeAfter: boolean };

/**
 * Header limits, the method (method.ts), framing (HTTP only: an upgrade carries no body) and
 * bytes. A framing error or a method that is no method sets `closeAfter`: the answer must close
 * the connection (RFC 9112 §6.3; nginx closes after a bad request line too).
 */
export function admitHead(r: Admittable, state: ProxyState, framing: boolean): GatewayError | null {
  if (r.headerBytes > state.maxHeaderBytes) return ERRORS.headersTooLarge;
  const bad = methodError(r.method);
  if (bad !== null) {
    if (bad.close === true) r.closeAfter = true;
    return bad;
  }
  if (framing) {
    const err = requestFraming(r.hContentLength, r.hTransferEncoding, r.conflictingLength);
    if (err !== null) {
      r.closeAfter = true;
      return err;
    }
  }
  if (r.duplicateHost) return ERRORS.duplicateHost;
  if (invalidHost(r.host)) return ERRORS.badHost;
  if (r.nonPlain && r.forbiddenBytes()) return ERRORS.badBytes;
  return null;
}

/**
 * A Host nginx (so Kong) refuses with 400: no name before the port (`Host:`, `Host: :8000`), a
 * path separator, or `..`. Without this, an https redirect would point at `https:///path`, which
 * browsers read as the host `path`. (uWS hands Sluice no request without a Host header.)
 */
export function invalidHost(host: string): boolean {
  const c = host.charCodeAt(0);
  if (host === '' || c === 58 /* : */ || (c === 46 /* . */ && host.length === 1)) return true;
  return host.indexOf('/') !== -1 || host.indexOf('..') !== -1;
}

/** Path normalisation, match (sets r.path, r.sni, r.match, r.rt), protocol and https redirect. */
export function admitRoute(r: Admittable, state: ProxyState): GatewayError | null {
  const path = normalizePath(r.url);
  if (path === null) return ERRORS.badPath;
  r.path = path;
  // uWS does not expose the TLS server name per request: on TLS the Host is the SNI.
  if (state.tls) r.sni = stripPort(r.host).toLowerCase();
  const match = r.snapshot.router.match(r);
  if (match === null) return ERRORS.noRoute;
  r.match = match;
  const rt = r.snapshot.routes[match.index]!;
  r.rt = rt;
  if (state.tls ? !rt.allowsHttps : !rt.allowsHttp) {
    if (!state.tls && rt.allowsHttps) return httpsRedirect(r, rt);
    return ERRORS.noRoute;
  }
  return null;
}

/**
 * The route takes only https: 426, or a redirect to the same host (the Host the router matched,
 * without its port) and target.
 */
function httpsRedirect(r: Admittable, rt: RouteRuntime): GatewayError {
  const code = rt.route.https_redirect_status_code;
  if (code === 426) return ERRORS.httpsRequired;
  const location = 'https://' + stripPort(r.host) + r.url + (r.query === '' ? '' : '?' + r.query);
  return { status: code, message: 'Moved', headers: { location } };
}
