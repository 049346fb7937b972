/**
 * Header tables for the request path: which headers are hop-by-hop (RFC 9110 §7.6.1), which the
 * gateway sets itself. Lookups are by exact lower-case name in a Set (uWS hands us lower-case
 * request header names; upstream response names are lower-cased only when their length says they
 * might be one of these).
 */

/** Removed in both directions. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Request headers the gateway replaces with its own values upstream. */
export const SET_BY_GATEWAY: ReadonlySet<string> = new Set([
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-path',
  'x-forwarded-prefix',
  'x-real-ip',
  'via',
  'content-length',
  // Set only by authentication plugins: a client must not be able to spoof them.
  'x-consumer-id',
  'x-consumer-custom-id',
  'x-consumer-username',
  'x-credential-identifier',
  'x-consumer-groups',
  'x-anonymous-consumer',
]);

/** Names by length: a request header is looked up among the few names of its own length. */
function byLength(names: Iterable<string>): ReadonlyArray<readonly string[] | undefined> {
  const table: string[][] = [];
  for (const n of names) (table[n.length] ??= []).push(n);
  return Array.from(table, (x) => x);
}

const GATEWAY_REQUEST = byLength(new Set([...HOP_BY_HOP, ...SET_BY_GATEWAY]));

/**
 * A client request header (lower-case name, as uWS gives them) the proxy does not copy upstream:
 * hop-by-hop or set by the gateway. One array index and a compare or two, no hashing.
 */
export function isGatewayRequestHeader(name: string): boolean {
  const list = GATEWAY_REQUEST[name.length];
  if (list === undefined) return false;
  for (let i = 0; i < list.length; i++) if (list[i] === name) return true;
  return false;
}

/** Response headers not copied from the upstream (uWS writes its own Date and framing). */
const RESPONSE_SKIP: readonly string[] = [...HOP_BY_HOP, 'content-length', 'date', 'via'];
const RESPONSE_SKIP_BY_LENGTH = byLength(RESPONSE_SKIP);

/**
 * Whether an upstream response header (raw bytes of its name) is one the proxy must not copy:
 * returns its lower-case name, or null. Compares bytes case-insensitively: no string is made.
 */
export function isSkippedResponseHeader(name: Buffer): string | null {
  const list = RESPONSE_SKIP_BY_LENGTH[name.length];
  if (list === undefined) return null;
  for (let i = 0; i < list.length; i++) if (equalsLower(name, list[i]!)) return list[i]!;
  return null;
}

/** `bytes` equals the lower-case ASCII `lower` ignoring case (same length assumed). */
function equalsLower(bytes: Buffer, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = bytes[i]!;
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

export const VIA_VALUE = '1.1 sluice';
