import type { Dispatcher, Pool } from 'undici';
import { undici } from '../lazy.js';
import type { UpstreamTls } from './tls.js';
import { errorKindOf, type UpstreamClient, type UpstreamHandler, type UpstreamRequest } from './client.js';

/**
 * undici's Pool behind the UpstreamClient interface (`SLUICE_UPSTREAM_CLIENT=undici`). undici
 * does not say when its writes of a body are done (`returnsBodies: false`), nor whether a closed
 * socket had begun to answer (its closes count as after the response: no retry).
 */
export class UndiciClient implements UpstreamClient {
  readonly returnsBodies = false;
  private readonly pool: Pool;

  constructor(origin: string, connectTimeout: number, tls: UpstreamTls) {
    this.pool = new (undici().Pool)(origin, {
      connections: null,
      pipelining: 1,
      connect: { timeout: connectTimeout, ...tls.options },
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 60_000,
      // Timeouts are set per request from the service (read_timeout).
      headersTimeout: 0,
      bodyTimeout: 0,
      // We enforce the gateway's own header limit on the request side; the response side may be large.
      maxHeaderSize: 64 * 1024,
    });
  }

  dispatch(req: UpstreamRequest, handler: UpstreamHandler): boolean {
    const opts: Dispatcher.DispatchOptions = {
      path: req.path,
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers ?? null,
      body: req.body ?? null,
      headersTimeout: req.headersTimeout ?? null,
      bodyTimeout: req.bodyTimeout ?? null,
      idempotent: req.idempotent ?? false,
    };
    try {
      return this.pool.dispatch(opts, new UndiciHandler(handler));
    } catch (err) {
      handler.onError?.(err as Error, errorKindOf(err as Error, false, false));
      return false;
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** undici's handler calls, with the error kind added to onError. */
class UndiciHandler implements Dispatcher.DispatchHandlers {
  constructor(private readonly h: UpstreamHandler) {}

  onConnect(abort: (err?: Error) => void): void {
    this.h.onConnect?.(abort);
  }

  onHeaders(status: number, headers: Buffer[] | string[] | null, resume: () => void, statusText: string): boolean {
    return this.h.onHeaders?.(status, headers as Buffer[], resume, statusText) ?? true;
  }

  onData(chunk: Buffer): boolean {
    return this.h.onData?.(chunk) ?? true;
  }

  onComplete(trailers: string[] | null): void {
    this.h.onComplete?.(trailers as unknown as Buffer[] | null);
  }

  onError(err: Error): void {
    this.h.onError?.(err, errorKindOf(err, false, false));
  }
}
