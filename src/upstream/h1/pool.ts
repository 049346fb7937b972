/**
 * A purpose-built HTTP/1.1 upstream client: one pool of keep-alive sockets per origin, one
 * request per socket at a time (no pipelining), exposing the subset of undici's Pool API the
 * proxy uses (`dispatch` with the low-level handler, `close`), with undici's error codes.
 *
 * - Request head built into one string; a small Buffer body goes out in the same write, a
 *   larger one in the same writev (cork); a Readable body is streamed with backpressure, with
 *   Content-Length when given, else chunked encoding.
 * - Responses are parsed by parser.ts over Buffers; plain TCP sockets read into one shared
 *   buffer (`onread`), copied once into a right-sized Buffer the response pieces are sliced from,
 *   except body-only reads for a handler that copies what it keeps (`copiesData`): those are
 *   lent as views of the shared buffer.
 * - Keep-alive: idle sockets reused LIFO, closed after `keepAliveTimeout` (or the server's
 *   `Keep-Alive: timeout=N` minus 1 s). A request that fails on a reused socket before any byte
 *   of response (the server closed it as we sent) is retried once on a fresh connection when its
 *   body can be replayed.
 * - Timeouts (connect, headers, body idle, keep-alive idle) are deadlines on the connection,
 *   checked by one shared interval: no timer per request.
 */
import type { Readable } from 'node:stream';
import { UpstreamErrorKind, type UpstreamClient } from '../client.js';
import { H1Error, closedError } from './errors.js';
import { Deadline, resolution, tracked } from './deadlines.js';
import { H1Conn } from './connection.js';
import { H1Request } from './request.js';
import type { H1DispatchOptions, H1Handler, H1PoolOptions } from './types.js';

export type { H1DispatchOptions, H1Handler, H1PoolOptions } from './types.js';

/** Keep-alive sockets to one origin; `dispatch`/`close` as undici's Pool. */
export class H1Pool implements UpstreamClient {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly hostHeader: string;
  readonly maxHeaderSize: number;
  readonly options: Required<H1PoolOptions>;
  closed = false;
  /** Body-buffer holds are given back when each socket write completes (../body-buffer.ts). */
  readonly returnsBodies = true;
  private readonly idle: H1Conn[] = [];
  private open = 0;
  private closing: (() => void) | null = null;
  private closePromise: Promise<void> | null = null;

  constructor(origin: string | URL, options: H1PoolOptions = {}) {
    const url = typeof origin === 'string' ? new URL(origin) : origin;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new H1Error('invalid origin ' + url.href, 'UND_ERR_INVALID_ARG');
    this.secure = url.protocol === 'https:';
    const hostname = url.hostname;
    this.host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    this.port = url.port === '' ? (this.secure ? 443 : 80) : Number(url.port);
    this.hostHeader = url.host;
    this.options = {
      connectTimeout: options.connectTimeout ?? 10_000,
      rejectUnauthorized: options.rejectUnauthorized ?? options.tls?.rejectUnauthorized ?? true,
      tls: options.tls ?? {},
      keepAliveTimeout: options.keepAliveTimeout ?? 4_000,
      keepAliveMaxTimeout: options.keepAliveMaxTimeout ?? 60_000,
      maxHeaderSize: options.maxHeaderSize ?? 64 * 1024,
      headersTimeout: options.headersTimeout ?? 300_000,
      bodyTimeout: options.bodyTimeout ?? 300_000,
    };
    this.maxHeaderSize = this.options.maxHeaderSize;
  }

  /** Sockets currently open (idle or busy). */
  get connections(): number {
    return this.open;
  }

  get idleConnections(): number {
    return this.idle.length;
  }

  dispatch(opts: H1DispatchOptions, handler: H1Handler): boolean {
    if (this.closed) {
      handler.onError?.(closedError(), UpstreamErrorKind.ResetBeforeResponse);
      return false;
    }
    if (opts.method === 'CONNECT' || opts.method === 'UPGRADE') {
      handler.onError?.(new H1Error(opts.method + ' is not supported by this client', 'UND_ERR_INVALID_ARG'), UpstreamErrorKind.ResetBeforeResponse);
      return false;
    }
    let body = opts.body ?? null;
    if (body !== null && !Buffer.isBuffer(body)) {
      if (typeof body === 'string') body = Buffer.from(body);
      else if (body instanceof Uint8Array) body = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    }
    const o = this.options;
    const ht = opts.headersTimeout ?? o.headersTimeout;
    const bt = opts.bodyTimeout ?? o.bodyTimeout;
    if (ht > 0) resolution(ht);
    if (bt > 0) resolution(bt);
    const req = new H1Request(this, opts.method, opts.path, opts.headers ?? null, body as Buffer | Readable | null, ht, bt, handler, opts.trustedHeaders ?? 0);
    try {
      handler.onConnect?.(req.abort);
    } catch (err) {
      req.abort(err as Error);
      return true;
    }
    if (req.done) return true;
    this.assign(req, false);
    return true;
  }

  /** Gives `req` a socket: the most recently idle one (LIFO), or a new one. */
  assign(req: H1Request, fresh: boolean): void {
    const idle = this.idle;
    if (!fresh) {
      while (idle.length > 0) {
        const c = idle.pop()!;
        c.idleIndex = -1;
        if (c.closed || c.eof || c.socket.destroyed) {
          c.destroy();
          continue;
        }
        c.deadline = 0;
        c.kind = Deadline.NONE;
        c.start(req);
        return;
      }
    }
    this.open++;
    const c = new H1Conn(this);
    c.start(req);
  }

  /** A socket finished its request cleanly and may be reused. */
  release(c: H1Conn): void {
    if (this.closed) return c.destroy();
    const hint = c.parser.keepAliveHint;
    const o = this.options;
    const ms = hint > 0 ? Math.min(hint - 1000, o.keepAliveMaxTimeout) : o.keepAliveTimeout;
    if (ms <= 0) return c.destroy();
    resolution(ms);
    c.markIdle(ms);
    c.idleIndex = this.idle.length;
    this.idle.push(c);
  }

  /** A socket is gone. */
  forget(c: H1Conn): void {
    if (c.idleIndex !== -1) {
      const i = this.idle.indexOf(c);
      if (i !== -1) {
        this.idle.splice(i, 1);
        for (let k = i; k < this.idle.length; k++) this.idle[k]!.idleIndex = k;
      }
      c.idleIndex = -1;
    }
    this.open--;
    if (this.open === 0 && this.closing !== null) {
      const resolve = this.closing;
      this.closing = null;
      resolve();
    }
  }

  /** Stops taking requests; resolves when the in-flight ones are done and every socket is closed. */
  close(): Promise<void> {
    if (this.closePromise !== null) return this.closePromise;
    this.closed = true;
    this.closePromise = new Promise<void>((resolve) => {
      this.closing = resolve;
    });
    const idle = this.idle.splice(0);
    for (const c of idle) {
      c.idleIndex = -1;
      c.destroy();
    }
    if (this.open === 0 && this.closing !== null) {
      const resolve = this.closing;
      this.closing = null;
      resolve();
    }
    return this.closePromise;
  }

  /** Closes every socket now; in-flight requests fail. */
  destroy(): Promise<void> {
    const p = this.close();
    for (const c of [...tracked]) if (c.pool === this) c.fail(closedError());
    return p;
  }
}
