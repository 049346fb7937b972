import type { Readable } from 'node:stream';
import type { H1Conn } from './connection.js';
import type { H1Pool } from './pool.js';
import type { H1Handler } from './types.js';
import { abortedError } from './errors.js';
import { errorKindOf } from '../client.js';

/** One dispatched request: the handler's view (abort, resume) and what a retry needs. */
export class H1Request {
  conn: H1Conn | null = null;
  /** The request no longer owns a socket (completed, failed or aborted). */
  done = false;
  /** onError was called (at most once). */
  errored = false;
  retried = false;
  readonly abort: (err?: Error) => void;
  readonly resume: () => void;

  constructor(
    readonly pool: H1Pool,
    readonly method: string,
    readonly path: string,
    readonly headers: string[] | null,
    readonly body: Buffer | Readable | null,
    readonly headersTimeout: number,
    readonly bodyTimeout: number,
    readonly handler: H1Handler,
    readonly trusted: number,
  ) {
    this.abort = (err?: Error) => this.onAbort(err);
    this.resume = () => this.conn?.resumeFor(this);
  }

  /**
   * As undici: an abort after the response completed still reaches onError (once), which the
   * proxy relies on to finish a request whose last bytes were still waiting for the client.
   */
  private onAbort(err?: Error): void {
    if (this.errored) return;
    this.errored = true;
    if (!this.done) {
      this.done = true;
      const conn = this.conn;
      this.conn = null;
      if (conn !== null) {
        conn.req = null;
        conn.destroy();
      }
      if (this.body !== null && !Buffer.isBuffer(this.body)) (this.body as Readable).destroy();
    }
    const e = err ?? abortedError();
    this.handler.onError?.(e, errorKindOf(e, false, true));
  }

  get replayable(): boolean {
    return this.body === null || Buffer.isBuffer(this.body);
  }
}
