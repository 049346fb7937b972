/**
 * The head of an HTTP/1.x response, once the parser (parser.ts) has it whole: the status line and
 * the header fields, with the values that decide the body's framing and the connection's reuse
 * (Content-Length, Transfer-Encoding, Connection, Keep-Alive). What to do with them is the
 * parser's. Names and values are subarrays of the input, no copies.
 */

/** RFC 9110 tchar. */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 1;
for (let c = 97; c <= 122; c++) TCHAR[c] = 1;

const CR = 13;
const LF = 10;

/** Why a head is malformed: a message and llhttp's HPE_* code (constants: nothing per response). */
export interface HeadError {
  readonly message: string;
  readonly code: string;
}
const err = (message: string, code: string): HeadError => Object.freeze({ message, code });
const INVALID_STATUS_LINE = err('invalid status line', 'HPE_INVALID_CONSTANT');
const INVALID_STATUS_CODE = err('invalid status code', 'HPE_INVALID_STATUS');
const INVALID_STATUS_TEXT = err('invalid status line', 'HPE_INVALID_STATUS');
const BARE_CR = err('bare CR', 'HPE_STRICT');
const INVALID_HEADER = err('invalid header', 'HPE_INVALID_HEADER_TOKEN');
const INVALID_VALUE_CHAR = err('invalid character in header value', 'HPE_INVALID_HEADER_TOKEN');
const BARE_CR_IN_VALUE = err('bare CR in header value', 'HPE_STRICT');
const INVALID_CONTENT_LENGTH = err('invalid content-length', 'HPE_INVALID_CONTENT_LENGTH');
const CONFLICTING_CONTENT_LENGTH = err('conflicting content-length', 'HPE_UNEXPECTED_CONTENT_LENGTH');

/** What parseHead found. One per parser, overwritten by each head (no allocation per response). */
export class ResponseHead {
  status = 0;
  statusText = '';
  /** [name, value, ...] as subarrays of the input. */
  headers: Buffer[] = [];
  http10 = false;
  /** Content-Length, or -1 when absent. */
  contentLength = -1;
  /** A Transfer-Encoding header was present... */
  te = false;
  /** ...and its final coding is chunked. */
  chunked = false;
  connClose = false;
  connKeepAlive = false;
  /** `Keep-Alive: timeout=N` in ms, or -1. */
  keepAliveHint = -1;
}

/** data[s..e) equals `lower` ignoring ASCII case (`lower` is lower-case letters and '-'). */
function eqLower(data: Buffer, s: number, e: number, lower: string): boolean {
  if (e - s !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if ((data[s + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/**
 * Status line and headers in buf[s..end) (end: index of the final CRLFCRLF) into `h`; null, or
 * why the head is malformed.
 */
export function parseHead(buf: Buffer, s: number, end: number, h: ResponseHead): HeadError | null {
  // "HTTP/1.x SSS[ reason]"
  if (
    end - s < 12 ||
    buf[s] !== 72 ||
    buf[s + 1] !== 84 ||
    buf[s + 2] !== 84 ||
    buf[s + 3] !== 80 ||
    buf[s + 4] !== 47 ||
    buf[s + 5] !== 49 ||
    buf[s + 6] !== 46 ||
    (buf[s + 7] !== 49 && buf[s + 7] !== 48) ||
    buf[s + 8] !== 32
  ) {
    return INVALID_STATUS_LINE;
  }
  const http10 = buf[s + 7] === 48;
  const d0 = buf[s + 9]! - 48;
  const d1 = buf[s + 10]! - 48;
  const d2 = buf[s + 11]! - 48;
  if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return INVALID_STATUS_CODE;
  const status = d0 * 100 + d1 * 10 + d2;
  // Byte loops rather than indexOf: lines are short and a native call costs more than the scan.
  // The head ends with CRLFCRLF at `end`, so every scan for CR stops inside it.
  let k = s + 12;
  while (buf[k] !== CR) {
    if (buf[k] === LF || buf[k] === 0) return INVALID_STATUS_TEXT;
    k++;
  }
  if (buf[k + 1] !== LF) return BARE_CR;
  let statusText = '';
  if (k > s + 12) {
    if (buf[s + 12] !== 32) return INVALID_STATUS_TEXT;
    statusText = k - (s + 13) === 2 && buf[s + 13] === 79 && buf[s + 14] === 75 ? 'OK' : buf.toString('latin1', s + 13, k);
  }

  const headers: Buffer[] = [];
  const ab = buf.buffer;
  const off = buf.byteOffset;
  let contentLength = -1;
  let chunked = false;
  let te = false;
  let connClose = false;
  let connKeepAlive = false;
  let keepAliveHint = -1;
  let p = k + 2;
  const stop = end + 2; // after the last header line's CRLF
  while (p < stop) {
    // name
    let c = p;
    while (TCHAR[buf[c]!] === 1) c++;
    if (c === p || buf[c] !== 58 /* : */) return INVALID_HEADER;
    let vs = c + 1;
    while (buf[vs] === 32 || buf[vs] === 9) vs++;
    let e = vs;
    let b: number;
    while ((b = buf[e]!) !== CR) {
      if (b === LF || b === 0) return INVALID_VALUE_CHAR;
      e++;
    }
    if (buf[e + 1] !== LF) return BARE_CR_IN_VALUE;
    let ve = e;
    while (ve > vs && (buf[ve - 1] === 32 || buf[ve - 1] === 9)) ve--;
    const nlen = c - p;
    if (nlen === 14 && eqLower(buf, p, c, 'content-length')) {
      const n = parseLengthList(buf, vs, ve);
      if (n < 0) return INVALID_CONTENT_LENGTH;
      if (contentLength !== -1 && contentLength !== n) return CONFLICTING_CONTENT_LENGTH;
      contentLength = n;
    } else if (nlen === 17 && eqLower(buf, p, c, 'transfer-encoding')) {
      te = true;
      // The final coding decides: chunked, or the body runs until close (RFC 9112 §6.3).
      const v = buf.toString('latin1', vs, ve).toLowerCase();
      const comma = v.lastIndexOf(',');
      chunked = (comma === -1 ? v : v.slice(comma + 1)).trim() === 'chunked';
    } else if (nlen === 10 && eqLower(buf, p, c, 'connection')) {
      if (containsLower(buf, vs, ve, 'close')) connClose = true;
      if (containsLower(buf, vs, ve, 'keep-alive')) connKeepAlive = true;
    } else if (nlen === 10 && eqLower(buf, p, c, 'keep-alive')) {
      const t = keepAliveTimeout(buf, vs, ve);
      if (t >= 0) keepAliveHint = t * 1000;
    }
    headers.push(Buffer.from(ab, off + p, nlen), Buffer.from(ab, off + vs, ve - vs));
    p = e + 2;
  }
  h.status = status;
  h.statusText = statusText;
  h.headers = headers;
  h.http10 = http10;
  h.contentLength = contentLength;
  h.te = te;
  h.chunked = chunked;
  h.connClose = connClose;
  h.connKeepAlive = connKeepAlive;
  h.keepAliveHint = keepAliveHint;
  return null;
}

/** data[s..e) contains `lower` ignoring ASCII case. */
function containsLower(buf: Buffer, s: number, e: number, lower: string): boolean {
  const n = lower.length;
  const c0 = lower.charCodeAt(0);
  for (let i = s; i + n <= e; i++) {
    if ((buf[i]! | 0x20) !== c0) continue;
    let j = 1;
    while (j < n && (buf[i + j]! | 0x20) === lower.charCodeAt(j)) j++;
    if (j === n) return true;
  }
  return false;
}

/** The N of `timeout=N` in a Keep-Alive value, or -1. */
function keepAliveTimeout(buf: Buffer, s: number, e: number): number {
  for (let i = s; i + 7 < e; i++) {
    if (!eqLower(buf, i, i + 7, 'timeout')) continue;
    let k = i + 7;
    while (k < e && (buf[k] === 32 || buf[k] === 9)) k++;
    if (buf[k] !== 61 /* = */) continue;
    k++;
    while (k < e && (buf[k] === 32 || buf[k] === 9)) k++;
    let n = 0;
    let digits = 0;
    while (k < e && buf[k]! >= 48 && buf[k]! <= 57 && digits < 9) {
      n = n * 10 + buf[k]! - 48;
      k++;
      digits++;
    }
    return digits === 0 ? -1 : n;
  }
  return -1;
}

/** "123" or "123, 123" (identical duplicates folded by an intermediary); -1 when invalid. */
function parseLengthList(buf: Buffer, s: number, e: number): number {
  let value = -1;
  let n = 0;
  let digits = 0;
  for (let i = s; i <= e; i++) {
    const c = i === e ? 44 : buf[i]!;
    if (c >= 48 && c <= 57) {
      if (++digits > 15) return -1;
      n = n * 10 + (c - 48);
    } else if (c === 44) {
      if (digits === 0) return -1;
      if (value !== -1 && value !== n) return -1;
      value = n;
      n = 0;
      digits = 0;
      while (i + 1 < e && (buf[i + 1] === 32 || buf[i + 1] === 9)) i++;
    } else if (c === 32 || c === 9) {
      while (i + 1 < e && (buf[i + 1] === 32 || buf[i + 1] === 9)) i++;
      if (i + 1 < e && buf[i + 1] !== 44) return -1;
    } else return -1;
  }
  return value;
}
