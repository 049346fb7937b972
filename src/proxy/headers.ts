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

/**
 * Header names listed in `Connection` (hop-by-hop by declaration, RFC 9110 §7.6.1), or null when
 * none. The same rule both ways: the client's request (forwarded.ts) and the upstream's response.
 */
export function connectionTokens(value: string): Set<string> | null {
  const set = new Set<string>();
  for (const t of value.split(',')) {
    const tok = t.trim().toLowerCase();
    if (tok !== '' && tok !== 'keep-alive' && tok !== 'close' && tok !== 'upgrade') set.add(tok);
  }
  return set.size === 0 ? null : set;
}

/** A `Connection` value that names no header: `close` or `keep-alive` (any case), the common ones. */
export function namesNoHeader(value: string): boolean {
  if (value.length === 5) return value.toLowerCase() === 'close';
  if (value.length === 10) return value.toLowerCase() === 'keep-alive';
  return false;
}

/**
 * The names an upstream response's `Connection` header lists (raw [name, value, ...] pairs), or
 * null. The common response (no Connection, or `close` / `keep-alive`) costs one length compare
 * per header and makes no string.
 */
export function responseConnectionTokens(headers: readonly Buffer[]): Set<string> | null {
  let value: string | null = null;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length !== 10 || !equalsLower(name, 'connection')) continue;
    const v = headers[i + 1]!;
    if ((v.length === 5 && equalsLower(v, 'close')) || (v.length === 10 && equalsLower(v, 'keep-alive'))) continue;
    value = value === null ? v.toString('latin1') : value + ',' + v.toString('latin1');
  }
  return value === null ? null : connectionTokens(value);
}

/** Whether the raw header name `name` is in `tokens` (lower-case names). */
export function isListedIn(tokens: ReadonlySet<string>, name: Buffer): boolean {
  return tokens.has(name.toString('latin1').toLowerCase());
}
