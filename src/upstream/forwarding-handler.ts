import type { UpstreamErrorKind, UpstreamHandler } from './client.js';

/**
 * The handler a wrapping client (retry.ts, balanced.ts, passive-health.ts) puts between the
 * client it wraps and its caller's handler, as undici's decorator handler: every callback goes on
 * to the caller's handler unless the wrapper overrides it. Wrappers keep their handlers on free
 * lists (one per request in flight), so `release` gives this one back and returns the caller's.
 */
export abstract class ForwardingHandler implements UpstreamHandler {
  inner: UpstreamHandler | null = null;
  copiesData = false;

  /** Takes the caller's handler for one request. */
  protected wrap(handler: UpstreamHandler): void {
    this.inner = handler;
    this.copiesData = handler.copiesData === true;
  }

  /** Gives this handler back to its free list; returns the caller's handler. */
  protected abstract release(): UpstreamHandler;

  onConnect(abort: (err?: Error) => void): void {
    this.inner!.onConnect?.(abort);
  }

  onHeaders(status: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    return this.inner!.onHeaders?.(status, headers, resume, statusText) ?? true;
  }

  onData(chunk: Buffer): boolean {
    return this.inner!.onData?.(chunk) ?? true;
  }

  onComplete(trailers: Buffer[] | null): void {
    this.release().onComplete?.(trailers);
  }

  onError(err: Error, kind: UpstreamErrorKind): void {
    this.release().onError?.(err, kind);
  }

  get cancelled(): boolean {
    return this.inner?.cancelled === true;
  }

  get forwarded(): boolean {
    return this.inner?.forwarded === true;
  }
}
