/**
 * Reading an HTTP request's body from uWS, registered in the handler's tick (uWS delivers body
 * data only to a handler set then): read whole into one buffer (small and declared: cheap and
 * retryable), read whole for a plugin that needs it (chunked included, capped), or streamed to the
 * upstream with backpressure (UwsBodyStream). What is read goes on the request (`body`).
 */
import { Readable } from 'node:stream';
import type uWS from '../uws/index.js';
import { copyChunk, takeChunk } from '../upstream/body-buffer.js';
import { POOLED_BODIES } from '../upstream/pool.js';
import { ERRORS } from './errors.js';
import type { ProxyRequest } from './http.js';

/**
 * Largest request body read whole for a plugin that needs it (request-transformer,
 * request-validator), and largest response body held for a `body` phase: 413 / streamed unchanged
 * beyond. SLUICE_MAX_BUFFERED_BODY (bytes), default 8 MiB.
 */
export const MAX_BUFFERED_BODY = Number(process.env.SLUICE_MAX_BUFFERED_BODY ?? '') > 0 ? Number(process.env.SLUICE_MAX_BUFFERED_BODY) : 8 * 1024 * 1024;

/** A declared body of `length` bytes read whole (into pooled memory when the client gives it back). */
export function readBody(r: ProxyRequest, length: number): void {
  let buf: Buffer;
  if (POOLED_BODIES) buf = r.pooledBody = takeChunk(length);
  else buf = Buffer.allocUnsafe(length);
  let offset = 0;
  r.res.onData((chunk, isLast) => {
    const n = Math.min(chunk.byteLength, length - offset);
    buf.set(new Uint8Array(chunk, 0, n), offset);
    offset += n;
    if (isLast) {
      r.body = offset === length ? buf : buf.subarray(0, offset);
      r.bodyReady = true;
      if (r.accessAfterBody) r.bodyRead();
      else r.next();
    }
  });
}

/** A chunked body read whole for a plugin (chain.bufferRequestBody), capped at MAX_BUFFERED_BODY. */
export function readChunkedBody(r: ProxyRequest): void {
  const chunks: Buffer[] = [];
  let size = 0;
  r.res.onData((chunk, isLast) => {
    if (r.bodyTooLarge) return;
    size += chunk.byteLength;
    if (size > MAX_BUFFERED_BODY) {
      r.bodyTooLarge = true;
      r.errorMessage = 'request body over SLUICE_MAX_BUFFERED_BODY';
      return r.fail(ERRORS.bodyTooLarge);
    }
    if (chunk.byteLength > 0) chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
    if (isLast) {
      r.body = Buffer.concat(chunks, size);
      r.bodyReady = true;
      r.bodyRead();
    }
  });
}

/** A body streamed upstream as it arrives. */
export function streamBody(r: ProxyRequest): void {
  const stream = new UwsBodyStream(r.res, r);
  r.bodyStream = stream;
  r.body = stream;
  r.res.onData((chunk, isLast) => stream.onChunk(chunk, isLast));
}

/** A request body read from uWS, with backpressure: uWS pauses while the upstream is not draining. */
export class UwsBodyStream extends Readable {
  private paused = false;
  private ended = false;
  /** Bytes received so far, and the cap set by limitRequestBody (-1: none). */
  received = 0;
  limit = -1;

  constructor(
    private readonly res: uWS.HttpResponse,
    private readonly owner: ProxyRequest,
  ) {
    super({ highWaterMark: 256 * 1024 });
  }

  onChunk(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.destroyed) return;
    this.received += chunk.byteLength;
    if (this.limit >= 0 && this.received > this.limit) return this.owner.onBodyTooLarge();
    if (chunk.byteLength > 0) {
      // uWS lends the chunk for this call only; the upstream client gives the copy's memory
      // back once written (body-buffer.ts).
      if (!this.push(copyChunk(chunk)) && !isLast && !this.paused) {
        this.paused = true;
        this.res.pause();
      }
    }
    if (isLast) {
      this.ended = true;
      this.push(null);
    }
  }

  override _read(): void {
    if (this.paused && !this.ended && !this.destroyed) {
      this.paused = false;
      this.res.resume();
    }
  }
}
