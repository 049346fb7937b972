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

/** Response headers not copied from the upstream (uWS writes its own Date and framing). */
const RESPONSE_SKIP: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'content-length', 'date', 'via']);
const RESPONSE_SKIP_LENGTHS: ReadonlySet<number> = new Set([...RESPONSE_SKIP].map((n) => n.length));

/**
 * Whether an upstream response header (raw bytes of its name) is one the proxy must not copy.
 * Only names whose length matches a skipped name are decoded, so most headers cost one Set probe.
 */
export function isSkippedResponseHeader(name: Buffer): string | null {
  if (!RESPONSE_SKIP_LENGTHS.has(name.length)) return null;
  const lower = name.toString('latin1').toLowerCase();
  return RESPONSE_SKIP.has(lower) ? lower : null;
}

export const VIA_VALUE = '1.1 sluice';
