import type { Readable } from 'node:stream';
import { releaseChunk } from '../body-buffer.js';
import type { H1Conn } from './connection.js';
import { H1Error } from './errors.js';

/** Streams a Readable request body to the socket, with backpressure. */
export class BodyWriter {
  written = 0;
  finished = false;
  private readonly onData = (chunk: Buffer | string): void => this.data(chunk);
  private readonly onEnd = (): void => this.end();
  /** Chunks handed to the socket whose write has not completed, oldest first. */
  private readonly inFlight: Buffer[] = [];
  /** Writes complete in order: the oldest chunk's memory can be reused (chunk-pool.ts). */
  private readonly onWritten = (): void => {
    const chunk = this.inFlight.shift();
    if (chunk !== undefined) releaseChunk(chunk);
  };
  private readonly onError = (err: Error): void => this.conn.fail(err);
  private readonly onClose = (): void => {
    if (!this.finished) this.conn.fail(new H1Error('request body stream closed before its end', 'UND_ERR_ABORTED'));
  };

  constructor(
    private readonly conn: H1Conn,
    private readonly stream: Readable,
    private readonly chunked: boolean,
    private readonly expected: number,
  ) {
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('error', this.onError);
    stream.on('close', this.onClose);
  }

  private data(c: Buffer | string): void {
    const chunk = typeof c === 'string' ? Buffer.from(c) : c;
    if (chunk.length === 0) return;
    this.written += chunk.length;
    const conn = this.conn;
    if (this.expected >= 0 && this.written > this.expected) {
      return conn.fail(new H1Error('Request body length does not match content-length header', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'));
    }
    const socket = conn.socket;
    let ok: boolean;
    if (this.chunked) {
      socket.cork();
      socket.write(chunk.length.toString(16) + '\r\n', 'latin1');
      this.inFlight.push(chunk);
      socket.write(chunk, this.onWritten);
      ok = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else {
      this.inFlight.push(chunk);
      ok = socket.write(chunk, this.onWritten);
    }
    conn.bodyProgress();
    if (!ok) this.stream.pause();
  }

  drain(): void {
    if (!this.finished) this.stream.resume();
  }

  private end(): void {
    if (this.finished) return;
    const conn = this.conn;
    if (this.expected >= 0 && this.written !== this.expected) {
      return conn.fail(new H1Error('Request body length does not match content-length header', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'));
    }
    this.detach();
    if (this.chunked) conn.socket.write('0\r\n\r\n', 'latin1');
    conn.bodyWritten();
  }

  detach(): void {
    this.finished = true;
    const s = this.stream;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('error', this.onError);
    s.off('close', this.onClose);
  }

  /** Stops sending (the request failed or the response ended first). */
  abandon(): void {
    if (this.finished) return;
    this.detach();
    this.stream.on('error', noop);
    this.stream.destroy();
  }
}

export function noop(): void {}
