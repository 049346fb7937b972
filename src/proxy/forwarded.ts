/**
 * The request headers sent upstream (SPEC.md §4), shared by the HTTP proxy (http.ts) and the
 * WebSocket proxy (websocket.ts): the client's end-to-end headers, then the gateway's own
 * Host / X-Forwarded-* / X-Real-IP / Via. Output is a flat [name, value, name, value, ...] array
 * (undici's format); nothing else is allocated on the request path.
 */
import { VIA_VALUE, connectionTokens, isGatewayRequestHeader, namesNoHeader } from './headers.js';

export { connectionTokens } from './headers.js';

/**
 * Appends the client's headers minus hop-by-hop ones, the ones the gateway sets itself, the
 * tokens named in `Connection`, and `extraSkip` (e.g. the Sec-WebSocket-* handshake headers the
 * WebSocket client generates itself).
 */
export function copyEndToEndHeaders(out: string[], raw: readonly string[], connection: string | undefined, extraSkip: { has(name: string): boolean } | null): void {
  const extraHop = connection !== undefined && !namesNoHeader(connection) ? connectionTokens(connection) : null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (isGatewayRequestHeader(name)) continue;
    if (extraHop !== null && extraHop.has(name)) continue;
    if (extraSkip !== null && extraSkip.has(name)) continue;
    out.push(name, raw[i + 1]!);
  }
}

/** What appendForwardedHeaders reads of the client's request (a PluginRequest). */
export interface ForwardedSource {
  /** Host header, '' when absent. */
  readonly host: string;
  readonly hForwardedFor: string | undefined;
  readonly hVia: string | undefined;
  readonly clientIp: string;
  /** The request path as the client sent it (before normalisation), for X-Forwarded-Path as Kong sends it. */
  readonly url: string;
}

/**
 * Appends Host (the client's with preserve_host, else the peer's), X-Forwarded-For (appended),
 * -Proto, -Host, -Port, -Path, -Prefix (only when strip_path removed one), X-Real-IP and Via.
 */
export function appendForwardedHeaders(
  out: string[],
  r: ForwardedSource,
  tls: boolean,
  listenPort: string,
  strippedPrefix: string | null,
  preserveHost: boolean,
  peerHostHeader: string,
): void {
  const host = r.host;
  const ip = r.clientIp;
  const xff = r.hForwardedFor;
  const via = r.hVia;
  out.push(
    'host',
    preserveHost && host !== '' ? host : peerHostHeader,
    'x-forwarded-for',
    xff === undefined ? ip : xff + ', ' + ip,
    'x-forwarded-proto',
    tls ? 'https' : 'http',
  );
  if (host !== '') out.push('x-forwarded-host', stripPort(host));
  out.push('x-forwarded-port', listenPort, 'x-forwarded-path', r.url);
  if (strippedPrefix !== null) out.push('x-forwarded-prefix', strippedPrefix);
  out.push('x-real-ip', ip, 'via', via === undefined ? VIA_VALUE : via + ', ' + VIA_VALUE);
}

export function stripPort(host: string): string {
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
