/**
 * Request framing (RFC 9112 §6): whether Sluice can tell where a request's body ends. uWS frames
 * any request with a Transfer-Encoding as chunked and takes one of two differing Content-Lengths,
 * so every doubt is refused here, before routing, with an error that closes the connection.
 */
import { ERRORS, type GatewayError } from './errors.js';

/** Codings RFC 9110 registers: refused with 501 (uWS decodes only chunked), not with 400. */
const KNOWN_CODINGS: ReadonlySet<string> = new Set(['chunked', 'identity', 'gzip', 'x-gzip', 'deflate', 'compress', 'x-compress', 'br', 'zstd']);

/**
 * null when the body length is certain (none, one valid Content-Length, or `chunked` alone);
 * else the error to answer before closing: 400 (conflicting or doubtful framing) or 501 (a
 * transfer coding Sluice does not implement). Repeated headers arrive joined with ", ".
 */
export function requestFraming(cl: string | undefined, te: string | undefined, conflictingLength: boolean): GatewayError | null {
  if (te === undefined) {
    if (conflictingLength) return ERRORS.badFraming;
    if (cl !== undefined && !isContentLength(cl)) return ERRORS.badFraming;
    return null;
  }
  if (te === 'chunked' || (te.length === 7 && te.toLowerCase() === 'chunked')) {
    return cl === undefined ? null : ERRORS.badFraming;
  }
  const tokens = te.split(',');
  let chunked = 0;
  let doubt = cl !== undefined || conflictingLength;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!.trim().toLowerCase();
    if (t === '' || t === 'identity') doubt = true;
    else if (!KNOWN_CODINGS.has(t)) return ERRORS.unknownCoding;
    else if (t === 'chunked') {
      chunked++;
      if (i !== tokens.length - 1) doubt = true;
    }
  }
  if (doubt || chunked !== 1) return ERRORS.badFraming;
  // A known coding before the final chunked (gzip, chunked): valid HTTP, not implemented.
  return ERRORS.unknownCoding;
}

/** 1 to 15 ASCII digits (a Content-Length we accept), checked without a regex. */
export function isContentLength(v: string): boolean {
  const n = v.length;
  if (n === 0 || n > 15) return false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
