/**
 * Incremental HTTP/1.x response parser over Buffers (no llhttp, no Node internals).
 *
 * `execute(buf, offset)` consumes bytes and calls the sink; it stops (returning the offset it
 * reached) when the message is complete (`state === DONE`), when the sink asked to pause
 * (`paused`), or on a malformed response (`error` is set). Header names and values handed to
 * the sink are subarrays of the input: the caller must pass Buffers it owns.
 *
 * This file finds where the head ends and frames the body (Content-Length, chunked with its
 * trailers, or until close); the head's own fields are read by head.ts.
 */
import { parseError, type H1Error } from './errors.js';
import { ResponseHead, TCHAR, parseHead } from './head.js';

export interface ParserSink {
  /** Final (non-1xx) response head; false pauses the parser before the body. */
  onParserHead(status: number, statusText: string, headers: Buffer[]): boolean;
  /** A piece of the body; false pauses the parser after it. */
  onParserBody(chunk: Buffer): boolean;
  onParserEnd(trailers: Buffer[]): void;
}

export const enum PState {
  HEAD = 0,
  BODY_LENGTH = 1,
  CHUNK_SIZE = 2,
  CHUNK_DATA = 3,
  CHUNK_CR = 4,
  CHUNK_LF = 5,
  TRAILERS = 6,
  BODY_CLOSE = 7,
  DONE = 8,
  ERROR = 9,
}

const CR = 13;
const LF = 10;
export const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const LFLF = Buffer.from('\n\n', 'latin1');
const MAX_LINE = 16 * 1024;
const EMPTY: Buffer[] = [];

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = 10 + c;
  HEX[97 + c] = 10 + c;
}

export class ResponseParser {
  state = PState.HEAD;
  paused = false;
  error: H1Error | null = null;
  /** The response allows reusing the connection (set once the head is parsed). */
  keepAlive = true;
  /** Server's `Keep-Alive: timeout=N` hint in ms, or -1. */
  keepAliveHint = -1;
  status = 0;
  /** Bytes received for the current message (0: nothing yet, the request may be replayed). */
  received = 0;
  private isHead = false;
  private remaining = 0;
  private partial: Buffer | null = null;
  private trailers: Buffer[] | null = null;
  private trailerBytes = 0;
  private readonly head = new ResponseHead();

  constructor(
    private readonly sink: ParserSink,
    private readonly maxHeaderSize = 64 * 1024,
  ) {}

  /** Prepares for the response to a new request. */
  reset(isHead: boolean): void {
    this.state = PState.HEAD;
    this.paused = false;
    this.error = null;
    this.keepAlive = true;
    this.keepAliveHint = -1;
    this.status = 0;
    this.received = 0;
    this.isHead = isHead;
    this.remaining = 0;
    this.partial = null;
    this.trailers = null;
    this.trailerBytes = 0;
  }

  private fail(message: string, code?: string): number {
    this.state = PState.ERROR;
    this.error = parseError(message, code);
    return -1;
  }

  /** Consumes from `offset`; returns where it stopped, or -1 on error. */
  execute(data: Buffer, offset: number): number {
    const len = data.length;
    if (offset < len) this.received += len - offset;
    let pos = offset;
    this.paused = false;
    for (;;) {
      switch (this.state) {
        case PState.HEAD: {
          if (pos >= len) return pos;
          pos = this.parseHead(data, pos);
          if (pos < 0) return -1;
          if (this.paused) return pos;
          continue;
        }
        case PState.BODY_LENGTH: {
          if (this.remaining === 0) {
            this.end(EMPTY);
            return pos;
          }
          if (pos >= len) return pos;
          const n = Math.min(this.remaining, len - pos);
          this.remaining -= n;
          const chunk = pos === 0 && n === len ? data : data.subarray(pos, pos + n);
          pos += n;
          if (!this.sink.onParserBody(chunk)) {
            this.paused = true;
            return pos;
          }
          continue;
        }
        case PState.BODY_CLOSE: {
          if (pos >= len) return pos;
          const chunk = pos === 0 ? data : data.subarray(pos);
          pos = len;
          if (!this.sink.onParserBody(chunk)) this.paused = true;
          return pos;
        }
        case PState.CHUNK_SIZE: {
          if (pos >= len) return pos;
          const line = this.readLine(data, pos);
          if (line === null) return len;
          if (line === -1) return -1;
          pos = this.linePos;
          const lb = this.lineBuf!;
          let i = this.lineStart;
          const e = this.lineEnd;
          let size = 0;
          let digits = 0;
          for (; i < e; i++) {
            const h = HEX[lb[i]!]!;
            if (h < 0) break;
            if (++digits > 12) return this.fail('chunk size too large', 'HPE_INVALID_CHUNK_SIZE');
            size = size * 16 + h;
          }
          if (digits === 0) return this.fail('invalid chunk size', 'HPE_INVALID_CHUNK_SIZE');
          // Whitespace before an extension is tolerated; anything else must be an extension.
          while (i < e && (lb[i] === 32 || lb[i] === 9)) i++;
          if (i < e && lb[i] !== 59 /* ; */) return this.fail('invalid chunk size', 'HPE_INVALID_CHUNK_SIZE');
          if (size === 0) {
            this.state = PState.TRAILERS;
          } else {
            this.remaining = size;
            this.state = PState.CHUNK_DATA;
          }
          continue;
        }
        case PState.CHUNK_DATA: {
          if (pos >= len) return pos;
          const n = Math.min(this.remaining, len - pos);
          this.remaining -= n;
          const chunk = pos === 0 && n === len ? data : data.subarray(pos, pos + n);
          pos += n;
          if (this.remaining === 0) this.state = PState.CHUNK_CR;
          if (!this.sink.onParserBody(chunk)) {
            this.paused = true;
            return pos;
          }
          continue;
        }
        case PState.CHUNK_CR: {
          if (pos >= len) return pos;
          if (data[pos++] !== CR) return this.fail('expected CRLF after chunk data', 'HPE_STRICT');
          this.state = PState.CHUNK_LF;
          continue;
        }
        case PState.CHUNK_LF: {
          if (pos >= len) return pos;
          if (data[pos++] !== LF) return this.fail('expected CRLF after chunk data', 'HPE_STRICT');
          this.state = PState.CHUNK_SIZE;
          continue;
        }
        case PState.TRAILERS: {
          if (pos >= len) return pos;
          const line = this.readLine(data, pos);
          if (line === null) return len;
          if (line === -1) return -1;
          pos = this.linePos;
          const lb = this.lineBuf!;
          const s = this.lineStart;
          const e = this.lineEnd;
          if (s === e) {
            this.end(this.trailers ?? EMPTY);
            return pos;
          }
          this.trailerBytes += e - s + 2;
          if (this.trailerBytes > this.maxHeaderSize) return this.fail('trailers too large', 'HPE_HEADER_OVERFLOW');
          const colon = lb.indexOf(58, s);
          if (colon <= s || colon >= e) return this.fail('invalid trailer', 'HPE_INVALID_HEADER_TOKEN');
          for (let k = s; k < colon; k++) if (TCHAR[lb[k]!] === 0) return this.fail('invalid trailer name', 'HPE_INVALID_HEADER_TOKEN');
          let vs = colon + 1;
          let ve = e;
          while (vs < ve && (lb[vs] === 32 || lb[vs] === 9)) vs++;
          while (ve > vs && (lb[ve - 1] === 32 || lb[ve - 1] === 9)) ve--;
          (this.trailers ??= []).push(lb.subarray(s, colon), lb.subarray(vs, ve));
          continue;
        }
        case PState.DONE:
          return pos;
        case PState.ERROR:
          return -1;
      }
    }
  }

  /**
   * The connection reached EOF. Returns true when that completed the message (a body
   * delimited by the connection's close; the sink got onParserEnd), false otherwise.
   */
  finish(): boolean {
    if (this.state === PState.BODY_CLOSE) {
      this.end(EMPTY);
      return true;
    }
    return false;
  }

  private end(trailers: Buffer[]): void {
    this.state = PState.DONE;
    this.partial = null;
    this.sink.onParserEnd(trailers);
  }

  // ---- lines (chunk sizes, trailers) ----------------------------------------------------------
  private lineBuf: Buffer | null = null;
  private lineStart = 0;
  private lineEnd = 0;
  private linePos = 0;

  /**
   * Reads one CRLF-terminated line from data[pos..] (joined with a partial one kept from the
   * previous call). Sets lineBuf/lineStart/lineEnd (without CRLF) and linePos (after LF).
   * Returns 1, null when incomplete (the rest is kept), or -1 on error.
   */
  private readLine(data: Buffer, pos: number): 1 | null | -1 {
    let buf = data;
    let start = pos;
    let from = pos;
    const partial = this.partial;
    if (partial !== null) {
      buf = Buffer.concat([partial, data.subarray(pos)]);
      start = 0;
      from = partial.length;
    }
    const lf = buf.indexOf(LF, from);
    if (lf === -1) {
      if (buf.length - start > MAX_LINE) return this.fail('line too long', 'HPE_HEADER_OVERFLOW') as -1;
      this.partial = start === 0 && buf !== data ? buf : Buffer.from(buf.subarray(start));
      return null;
    }
    if (lf === start || buf[lf - 1] !== CR) return this.fail('bare LF', 'HPE_STRICT') as -1;
    this.partial = null;
    this.lineBuf = buf;
    this.lineStart = start;
    this.lineEnd = lf - 1;
    this.linePos = partial === null ? lf + 1 : pos + (lf + 1 - partial.length);
    return 1;
  }

  // ---- head -----------------------------------------------------------------------------------

  /** Parses a head from data[pos..]; returns the offset after it (or len if incomplete), -1 on error. */
  private parseHead(data: Buffer, pos: number): number {
    let buf = data;
    let base = pos;
    let from = pos;
    const partial = this.partial;
    if (partial !== null) {
      buf = Buffer.concat([partial, data.subarray(pos)]);
      base = 0;
      from = partial.length > 3 ? partial.length - 3 : 0;
    }
    const end = buf.indexOf(CRLFCRLF, from);
    if (end === -1) {
      // A head ended by bare LFs never gets its CRLFCRLF: refuse it now (502), not at the timeout.
      if (buf.indexOf(LFLF, from) !== -1) return this.fail('bare LF in the response head', 'HPE_STRICT');
      if (buf.length - base > this.maxHeaderSize) return this.fail('header section too large', 'HPE_HEADER_OVERFLOW');
      this.partial = base === 0 && buf !== data ? buf : Buffer.from(buf.subarray(base));
      return data.length;
    }
    if (end + 4 - base > this.maxHeaderSize) return this.fail('header section too large', 'HPE_HEADER_OVERFLOW');
    this.partial = null;
    const next = partial === null ? end + 4 : pos + (end + 4 - partial.length);
    if (this.parseHeadBlock(buf, base, end) < 0) return -1;
    return next;
  }

  /** Status line and headers in buf[s..end) (head.ts), then the body's framing. */
  private parseHeadBlock(buf: Buffer, s: number, end: number): number {
    const h = this.head;
    const bad = parseHead(buf, s, end, h);
    if (bad !== null) return this.fail(bad.message, bad.code);
    const status = h.status;
    const contentLength = h.contentLength;
    if (status < 200) {
      if (status === 101) return this.fail('unexpected protocol switch', 'HPE_UPGRADE');
      // 1xx informational: skipped; the final response follows.
      this.keepAliveHint = -1;
      return 0;
    }
    this.status = status;
    this.keepAliveHint = h.keepAliveHint;
    this.keepAlive = !h.connClose && (!h.http10 || h.connKeepAlive);
    if (this.isHead || status === 204 || status === 304) {
      this.remaining = 0;
      this.state = PState.BODY_LENGTH;
    } else if (h.te) {
      if (h.chunked) this.state = PState.CHUNK_SIZE;
      else {
        this.state = PState.BODY_CLOSE;
        this.keepAlive = false;
      }
      // Transfer-Encoding with Content-Length: the length is ignored, the connection not reused.
      if (contentLength !== -1) this.keepAlive = false;
    } else if (contentLength !== -1) {
      this.remaining = contentLength;
      this.state = PState.BODY_LENGTH;
    } else {
      this.state = PState.BODY_CLOSE;
      this.keepAlive = false;
    }
    const headers = h.headers;
    h.headers = EMPTY;
    if (!this.sink.onParserHead(status, h.statusText, headers)) this.paused = true;
    return 0;
  }
}
