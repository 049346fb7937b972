/**
 * Bytes are bytes (SPEC.md §4). uWS hands the request target and header values over as JS
 * strings decoded from UTF-8, with U+FFFD for every invalid sequence; a string written to a
 * socket as `latin1` keeps only the low byte of each UTF-16 unit (U+010D becomes CR). So:
 *
 * - a request is refused (400) when its target or a header value holds a control character,
 *   DEL, or U+FFFD (the client's bytes were not valid UTF-8 and cannot be sent on unchanged);
 * - every string that goes into an upstream head is a *wire string*: one char per byte
 *   (`toWire`: the UTF-8 bytes of the text, as latin1), so that any client (Sluice's h1, undici,
 *   `ws`) writing it as latin1 sends exactly the bytes the client sent;
 * - no value the gateway or a plugin writes into a head may hold CR, LF or NUL
 *   (`assertHeaderValue`, `isSafeHeaderValue`).
 *
 * The fast path is one regex test per string for anything outside printable ASCII.
 */

/** Anything but HTAB and printable ASCII (header values). */
const NOT_PLAIN_VALUE = /[^\t\x20-\x7e]/;
/** Anything but printable ASCII without space (request targets). */
const NOT_PLAIN_TARGET = /[^\x21-\x7e]/;
/** What no head may carry, in any value the gateway or a plugin writes. */
const HEAD_BREAKING = /[\r\n\0]/;
/** RFC 9110 token (header names). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** True when a header value is HTAB and printable ASCII only (no conversion, no further check). */
export function isPlainValue(s: string): boolean {
  return !NOT_PLAIN_VALUE.test(s);
}

/** True when a request target (path or query) is printable ASCII only. */
export function isPlainTarget(s: string): boolean {
  return !NOT_PLAIN_TARGET.test(s);
}

/**
 * Whether a string from uWS holds something HTTP forbids there or that cannot be sent on byte for
 * byte: a control character (HTAB allowed in header values only), DEL, or U+FFFD (uWS's stand-in
 * for bytes that were not UTF-8). Called only when the fast test found a non-plain character.
 */
export function hasForbidden(s: string, allowTab: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) {
      if (c !== 9 || !allowTab) return true;
    } else if (c === 0x7f || c === 0xfffd) return true;
  }
  return false;
}

/** The UTF-8 bytes of `s` as a one-char-per-byte string (written as latin1 they are exact). */
export function toWire(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** `s` as a wire string: unchanged when printable ASCII (the common case). */
export function wireValue(s: string): string {
  return NOT_PLAIN_VALUE.test(s) ? toWire(s) : s;
}

/**
 * A request target as a wire string, or null when it holds a space, a control character, DEL or
 * U+FFFD (nothing the client sent can: those were refused; a plugin's rewrite can).
 */
export function wireTarget(s: string): string | null {
  if (!NOT_PLAIN_TARGET.test(s)) return s;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0xfffd) return null;
  }
  return toWire(s);
}

/** A header value a gateway or plugin may write into a head: no CR, LF or NUL. */
export function isSafeHeaderValue(s: string): boolean {
  return !HEAD_BREAKING.test(s);
}

/** A header name: an RFC 9110 token. */
export function isHeaderName(s: string): boolean {
  return TOKEN.test(s);
}

/**
 * The one check for headers a plugin or the gateway sets on a request or response: throws when
 * the name is not a token or the value holds CR, LF or NUL (a plugin error: the request is
 * answered 500, nothing is injected).
 */
export function assertHeader(name: string, value: string): void {
  if (!TOKEN.test(name)) throw new Error('invalid header name ' + JSON.stringify(name));
  if (HEAD_BREAKING.test(value)) throw new Error('header ' + name + ': value holds CR, LF or NUL');
}
