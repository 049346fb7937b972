import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import type { Readable } from 'node:stream';
import { CRLFCRLF, PState, ResponseParser, type ParserSink } from './parser.js';
import { releaseChunk, retainChunk } from '../body-buffer.js';
import { H1Error, bodyTimeoutError, closedError, connectTimeoutError, headersTimeoutError, socketClosedError } from './errors.js';
import { Deadline, resolution, track, untrack } from './deadlines.js';
import { BodyWriter, noop } from './body-writer.js';
import type { H1Request } from './request.js';
import type { H1Pool } from './pool.js';

// Node 22 raised the default stream high-water mark from 16 KiB to 64 KiB. A request body pauses
// its source when the socket says full, and pooled body slabs come back once written: keep the
// socket's write side at 16 KiB on every runtime (net.Socket passes this option to its Duplex).
const WRITE_HWM = { writableHighWaterMark: 16 * 1024 } as object;

import { errorKindOf } from '../client.js';

// ---- sockets read into one shared buffer ------------------------------------------------------

const READ_BUF = Buffer.allocUnsafe(64 * 1024);
const ONREAD = process.env.SLUICE_H1_ONREAD !== '0';
const EMPTY_BUF = Buffer.alloc(0);
/**
 * Reads up to this size are copied whole (from Node's pooled slabs, cheap); a longer one with a
 * head in it is split (splitRead), sparing a copy of its body into its own ArrayBuffer.
 */
const HEAD_SPLIT_MIN = 4096;

/** READ_BUF[from, to) in a Buffer of its own. */
function copyRead(from: number, to: number): Buffer {
  const b = Buffer.allocUnsafe(to - from);
  READ_BUF.copy(b, 0, from, to);
  return b;
}
/** A Buffer body up to this size is copied behind the head: one write instead of a writev. */
const CONCAT_LIMIT = 2 * 1024;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'QUERY']);

/**
 * The head is written as latin1, one byte per char: a char above U+00FF would lose its high byte
 * (U+010D becomes CR). Callers pass wire strings (the bytes to send, one char each); anything
 * that is not one, or that holds CR, LF or NUL, fails the request instead of being sent.
 */
const BAD_VALUE = /[\r\n\0\u0100-\uffff]/;
const BAD_NAME = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/** A request target: no space, control character or DEL, no char above U+00FF. */
const BAD_TARGET = /[^\x21-\x7e\x80-\xff]/;
function badHeader(name: string, value: string): boolean {
  return BAD_VALUE.test(value) || BAD_NAME.test(name) || name.length === 0;
}


/** One upstream socket. It is the parser's sink and serves one request at a time. */
export class H1Conn implements ParserSink {
  readonly socket: net.Socket;
  readonly parser: ResponseParser;
  req: H1Request | null = null;
  connected = false;
  closed = false;
  /** Requests written on this socket (> 1: the socket was reused). */
  served = 0;
  deadline = 0;
  kind = Deadline.NONE;
  paused = false;
  /** The buffer being fed is a view of READ_BUF, valid only until this read returns. */
  private lent = false;
  /** The buffer being fed is the first part of a split read (splitRead). */
  private splitting = false;
  /** Buffer bodies whose write has not completed, oldest first (writes complete in order). */
  private readonly bodies: Buffer[] = [];
  private readonly onBodyWritten = (): void => {
    const body = this.bodies.shift();
    if (body !== undefined) releaseChunk(body);
  };
  eof = false;
  leftover: Buffer | null = null;
  writer: BodyWriter | null = null;
  trailers: Buffer[] | null = null;
  /** Index in the pool's idle stack, -1 when busy. */
  idleIndex = -1;

  constructor(readonly pool: H1Pool) {
    this.parser = new ResponseParser(this, pool.maxHeaderSize);
    const o = pool.options;
    if (pool.secure || !ONREAD) {
      const socket = pool.secure ? tls.connect({
        host: pool.host,
        port: pool.port,
        servername: net.isIP(pool.host) === 0 ? pool.host : undefined,
        rejectUnauthorized: o.rejectUnauthorized,
        ...o.tls,
        ...WRITE_HWM,
        ALPNProtocols: ['http/1.1'],
      }) : net.connect({ host: pool.host, port: pool.port, ...WRITE_HWM });
      socket.on(pool.secure ? 'secureConnect' : 'connect', () => this.onSocketConnect());
      socket.on('data', (buf: Buffer) => this.onBytes(buf));
      this.socket = socket;
    } else {
      this.socket = net.connect({
        host: pool.host,
        port: pool.port,
        ...WRITE_HWM,
        onread: {
          buffer: READ_BUF,
          callback: (n: number): boolean => {
            if (this.canLend() && this.parser.state !== PState.HEAD) {
              // Only body bytes (the head came in an earlier read), to a handler that copies
              // what it keeps: no copy. Whatever this read leaves behind is copied (feed).
              this.lendRead(0, n);
            } else if (n > HEAD_SPLIT_MIN && this.canLend()) {
              this.splitRead(n);
            } else {
              this.onBytes(copyRead(0, n));
            }
            return true;
          },
        },
      });
      this.socket.on('connect', () => this.onSocketConnect());
    }
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.on('error', (err: Error) => this.fail(err));
    socket.on('end', () => this.onEof());
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.writer?.drain());
    track(this);
    if (o.connectTimeout > 0) {
      resolution(o.connectTimeout);
      this.setDeadline(Deadline.CONNECT, o.connectTimeout);
    }
  }

  private setDeadline(kind: Deadline, ms: number): void {
    this.kind = kind;
    this.deadline = ms > 0 ? performance.now() + ms : 0;
  }

  /** Takes `req` (the socket is connected and idle, or connecting). */
  start(req: H1Request): void {
    this.req = req;
    req.conn = this;
    this.parser.reset(req.method === 'HEAD');
    this.trailers = null;
    if (this.connected) this.writeRequest(req);
  }

  private onSocketConnect(): void {
    this.connected = true;
    this.setDeadline(Deadline.NONE, 0);
    const req = this.req;
    if (req !== null) this.writeRequest(req);
    else this.pool.release(this); // its request went away while connecting
  }

  private writeRequest(req: H1Request): void {
    this.served++;
    const pool = this.pool;
    const headers = req.headers;
    let head = req.method + ' ' + req.path + ' HTTP/1.1\r\n';
    let hasHost = false;
    let length = -1;
    let chunkedGiven = false;
    if (BAD_TARGET.test(req.path)) return this.fail(new H1Error('invalid request path', 'UND_ERR_INVALID_ARG'));
    if (headers !== null) {
      const trusted = req.trusted;
      for (let i = 0; i < headers.length; i += 2) {
        const name = headers[i]!;
        const value = headers[i + 1]!;
        if (i >= trusted && badHeader(name, value)) return this.fail(new H1Error('invalid ' + name + ' header', 'UND_ERR_INVALID_ARG'));
        const n = name.length;
        if (n === 4 && (name === 'host' || name.toLowerCase() === 'host')) hasHost = true;
        else if (n === 14 && name.toLowerCase() === 'content-length') length = Number(value);
        else if (n === 17 && name.toLowerCase() === 'transfer-encoding') chunkedGiven = true;
        head += name + ': ' + value + '\r\n';
      }
    }
    if (!hasHost) head += 'host: ' + pool.hostHeader + '\r\n';
    const body = req.body;
    const socket = this.socket;
    this.setDeadline(Deadline.HEADERS, req.headersTimeout);
    if (body === null) {
      if (length === -1 && BODY_METHODS.has(req.method)) head += 'content-length: 0\r\n';
      socket.write(head + '\r\n', 'latin1');
    } else if (Buffer.isBuffer(body)) {
      if (length === -1) head += 'content-length: ' + body.length + '\r\n';
      else if (length !== body.length) {
        return this.fail(new H1Error('Request body length does not match content-length header', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'));
      }
      head += '\r\n';
      if (body.length <= CONCAT_LIMIT) {
        const out = Buffer.allocUnsafe(head.length + body.length);
        out.write(head, 0, 'latin1');
        body.copy(out, head.length);
        socket.write(out);
      } else {
        // The write holds the body until it is done (a pooled body goes back to the pool only
        // when every holder, this write included, has let go: chunk-pool.ts).
        retainChunk(body);
        this.bodies.push(body);
        socket.cork();
        socket.write(head, 'latin1');
        socket.write(body, this.onBodyWritten);
        socket.uncork();
      }
    } else {
      const chunked = length === -1;
      if (chunked && !chunkedGiven) head += 'transfer-encoding: chunked\r\n';
      socket.write(head + '\r\n', 'latin1');
      this.writer = new BodyWriter(this, body, chunked, length);
    }
  }

  /** A body chunk went out: the headers timeout counts from the last one (as undici). */
  bodyProgress(): void {
    if (this.kind === Deadline.HEADERS) this.setDeadline(Deadline.HEADERS, this.req?.headersTimeout ?? 0);
  }

  bodyWritten(): void {
    this.writer = null;
    this.bodyProgress();
  }

  // ---- response -------------------------------------------------------------------------------

  private lendRead(from: number, to: number): void {
    this.lent = true;
    this.feed(READ_BUF.subarray(from, to));
    this.lent = false;
  }

  /**
   * A read that holds a response head and body bytes: the head part is copied (its header
   * Buffers outlive the read), the body part lent. Split at the read's first CRLFCRLF: wherever
   * the head really ends, everything up to the split is owned, and the rest is lent only if the
   * parser is then in a body (not after a 1xx, not when the response is already complete).
   */
  private splitRead(n: number): void {
    const end = READ_BUF.subarray(0, n).indexOf(CRLFCRLF);
    if (end === -1 || end + 4 >= n) return this.onBytes(copyRead(0, n));
    const req = this.req;
    // More bytes follow in this read: a response complete within the head part must not leave
    // the socket reusable (as a whole read with extra bytes would not).
    this.splitting = true;
    this.onBytes(copyRead(0, end + 4));
    this.splitting = false;
    if (this.req === req && this.canLend() && this.parser.state !== PState.HEAD) this.lendRead(end + 4, n);
    else this.onBytes(copyRead(end + 4, n));
  }

  /**
   * Body bytes of the next read may be lent (see H1Handler.copiesData): a request whose handler
   * copies what it keeps, not paused. Head bytes never are (their header Buffers outlive the read).
   */
  private canLend(): boolean {
    const req = this.req;
    return req !== null && req.handler.copiesData === true && !this.paused;
  }

  private onBytes(buf: Buffer): void {
    if (this.req === null) {
      // Bytes on an idle socket (or after an abort): nothing may be read from it any more.
      this.destroy();
      return;
    }
    if (this.paused) {
      this.leftover = this.leftover === null ? buf : Buffer.concat([this.leftover, buf]);
      return;
    }
    this.feed(buf);
  }

  private feed(buf: Buffer): void {
    const req = this.req!;
    let r: number;
    try {
      r = this.parser.execute(buf, 0);
    } catch (err) {
      // A handler threw: the request is over.
      return this.fail(err as Error);
    }
    if (req.done || this.req !== req) return;
    if (r < 0) return this.fail(this.parser.error!);
    if (this.parser.state === PState.DONE) return this.complete(r < buf.length || this.splitting);
    if (this.parser.paused) {
      this.paused = true;
      this.leftover = r < buf.length ? (this.lent ? Buffer.from(buf.subarray(r)) : buf.subarray(r)) : null;
      this.setDeadline(Deadline.NONE, 0);
      if (!this.eof) this.socket.pause();
    }
  }

  onParserHead(status: number, statusText: string, headers: Buffer[]): boolean {
    const req = this.req;
    if (req === null || req.done) return false;
    this.setDeadline(Deadline.BODY, req.bodyTimeout);
    const h = req.handler;
    return h.onHeaders === undefined ? true : h.onHeaders(status, headers, req.resume, statusText) !== false;
  }

  onParserBody(chunk: Buffer): boolean {
    const req = this.req;
    if (req === null || req.done) return false;
    if (req.bodyTimeout > 0) this.deadline = performance.now() + req.bodyTimeout;
    const h = req.handler;
    return h.onData === undefined ? true : h.onData(chunk) !== false;
  }

  onParserEnd(trailers: Buffer[]): void {
    this.trailers = this.lent ? trailers.map((b) => Buffer.from(b)) : trailers;
  }

  /** The response is complete: the socket goes back to the pool (or closes), then the handler hears. */
  private complete(extraBytes: boolean): void {
    const req = this.req!;
    this.req = null;
    req.conn = null;
    req.done = true;
    const reusable = this.parser.keepAlive && !extraBytes && !this.eof && this.writer === null && !this.pool.closed;
    if (this.writer !== null) this.writer.abandon();
    if (reusable) this.pool.release(this);
    else this.destroy();
    const trailers = this.trailers;
    this.trailers = null;
    req.handler.onComplete?.(trailers);
  }

  resumeFor(req: H1Request): void {
    if (this.req !== req || req.done || !this.paused) return;
    this.paused = false;
    this.setDeadline(Deadline.BODY, req.bodyTimeout);
    const left = this.leftover;
    this.leftover = null;
    this.feed(left ?? EMPTY_BUF);
    if (this.req !== req || req.done || this.paused) return;
    if (this.eof) this.finishEof();
    else this.socket.resume();
  }

  private onEof(): void {
    if (this.eof) return;
    this.eof = true;
    if (this.req === null) return this.destroy(); // an idle socket the server closed
    if (this.paused) return; // data still queued: seen when the handler resumes
    this.finishEof();
  }

  private onClose(): void {
    if (this.req !== null && this.paused && !this.eof) {
      this.eof = true;
      return;
    }
    if (this.req !== null && !this.paused) {
      this.eof = true;
      return this.finishEof();
    }
    if (this.req === null) this.destroy();
  }

  private finishEof(): void {
    const req = this.req;
    if (req === null) return;
    try {
      if (this.parser.finish()) return this.complete(false);
    } catch (err) {
      return this.fail(err as Error);
    }
    this.fail(socketClosedError());
  }

  onDeadline(): void {
    const kind = this.kind;
    this.deadline = 0;
    this.kind = Deadline.NONE;
    if (kind === Deadline.IDLE) return this.destroy();
    if (kind === Deadline.CONNECT) return this.fail(connectTimeoutError());
    if (kind === Deadline.HEADERS) return this.fail(headersTimeoutError());
    if (kind === Deadline.BODY) return this.fail(bodyTimeoutError());
  }

  /** The socket failed (or must be dropped): the request gets the error, or a retry. */
  fail(err: Error): void {
    const req = this.req;
    this.req = null;
    const received = this.parser.received;
    this.destroy();
    if (req === null || req.done) return;
    req.conn = null;
    const code = (err as { code?: string }).code;
    if (
      this.served > 1 &&
      received === 0 &&
      !req.retried &&
      req.replayable &&
      !this.pool.closed &&
      (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET')
    ) {
      // The server closed the kept-alive socket as we sent: nothing was processed, send again.
      req.retried = true;
      this.pool.assign(req, true);
      return;
    }
    req.done = true;
    req.errored = true;
    if (req.body !== null && !Buffer.isBuffer(req.body)) (req.body as Readable).destroy();
    // Tells the caller whether the upstream had begun to answer (no retry after that: SPEC §4).
    if (received > 0) (err as { responseStarted?: boolean }).responseStarted = true;
    req.handler.onError?.(err, errorKindOf(err, received > 0, true));
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.deadline = 0;
    untrack(this);
    if (this.writer !== null) {
      this.writer.abandon();
      this.writer = null;
    }
    this.pool.forget(this);
    this.socket.destroy();
  }

  /** Idle and usable for a new request. */
  markIdle(ms: number): void {
    this.paused = false;
    this.leftover = null;
    this.setDeadline(Deadline.IDLE, ms);
  }
}
