/**
 * Every response the gateway makes itself (SPEC.md §4), in one place with stable codes, so a
 * test can enumerate them. Bodies are JSON `{"message": "...", "request_id": "..."}`.
 */
export interface GatewayError {
  status: number;
  message: string;
  /** Extra response headers (name → value), e.g. WWW-Authenticate or Retry-After. */
  headers?: Readonly<Record<string, string>>;
  /**
   * The framing of the request is in doubt (RFC 9112 §6.3): answer with `Connection: close` and
   * close; whatever follows on the connection belongs to no request.
   */
  close?: boolean;
}

export const ERRORS = {
  noRoute: { status: 404, message: 'no Route matched with those values' },
  badRequest: { status: 400, message: 'Bad request' },
  smuggling: { status: 400, message: 'Bad request: conflicting Content-Length and Transfer-Encoding' },
  badPath: { status: 400, message: 'Bad request: invalid path' },
  badFraming: { status: 400, message: 'Bad request: the request body length cannot be determined', close: true },
  unknownCoding: { status: 501, message: 'Transfer-Encoding not implemented', close: true },
  badBytes: { status: 400, message: 'Bad request: control characters or bytes that are not UTF-8 in the request' },
  duplicateHost: { status: 400, message: 'Bad request: more than one Host header' },
  badHost: { status: 400, message: 'Bad request: invalid Host header' },
  badMethod: { status: 400, message: 'Bad request: invalid method (methods are upper-case letters, "_" and "-")', close: true },
  unauthorized: { status: 401, message: 'Unauthorized' },
  forbidden: { status: 403, message: 'Forbidden' },
  notFound: { status: 404, message: 'Not found' },
  connectMethod: { status: 405, message: 'Method not allowed: CONNECT (the gateway does not open tunnels)' },
  traceMethod: { status: 405, message: 'Method not allowed: TRACE' },
  bodyTooLarge: { status: 413, message: 'Request size limit exceeded' },
  httpsRequired: { status: 426, message: 'Please use HTTPS protocol', headers: { connection: 'Upgrade', upgrade: 'TLS/1.2, HTTP/1.1' } },
  rateLimited: { status: 429, message: 'API rate limit exceeded' },
  headersTooLarge: { status: 431, message: 'Request header fields too large' },
  internal: { status: 500, message: 'An unexpected error occurred' },
  badGateway: { status: 502, message: 'An invalid response was received from the upstream server' },
  noService: { status: 503, message: 'no Service found with those values' },
  noHealthyTarget: { status: 503, message: 'failure to get a peer from the ring-balancer' },
  serviceDisabled: { status: 503, message: 'Service unavailable' },
  upstreamTimeout: { status: 504, message: 'The upstream server is timing out' },
} as const satisfies Record<string, GatewayError>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * The JSON body of a gateway-made error. The gateway's own ids are plain tokens; a correlation
 * id the client sent may hold anything a header value can (`"`, `\`, non-ASCII): escaped then.
 */
export function errorBody(message: string, requestId: string): string {
  return '{"message":' + JSON.stringify(message) + ',"request_id":' + idJson(requestId) + '}';
}

/** Precomputed body prefixes so the hot path only appends the request id. */
const prefixes = new Map<string, string>();
export function errorBodyFast(message: string, requestId: string): string {
  let p = prefixes.get(message);
  if (p === undefined) {
    p = '{"message":' + JSON.stringify(message) + ',"request_id":';
    if (prefixes.size < 1000) prefixes.set(message, p);
  }
  return p + idJson(requestId) + '}';
}

/** `id` as a JSON string: printable ASCII without `"` or `\` as is, anything else by JSON.stringify. */
function idJson(id: string): string {
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return JSON.stringify(id);
  }
  return '"' + id + '"';
}
