import { isRetryable, type UpstreamClient, type UpstreamErrorKind, type UpstreamHandler } from './client.js';
import type { ServiceRequest } from './balanced.js';
import { ForwardingHandler } from './forwarding-handler.js';

/**
 * Retries as a client wrapping a service's client (balanced.ts, which picks another peer each
 * time), in the style of undici's retry interceptor. A failed attempt is sent again, up to
 * `retries` more times, only when nothing reached the upstream application and nothing reached
 * the caller's client (SPEC §4): a replayable request (idempotent method, body not streamed), no
 * byte of response yet (not even a 1xx), a failure of a kind isRetryable says is safe, and a
 * request its caller has not ended. Otherwise the error goes to the caller, which answers 502/504.
 * Built once per service at snapshot compile time.
 */
export class RetryClient implements UpstreamClient<ServiceRequest> {
  readonly returnsBodies: boolean;

  constructor(
    readonly inner: UpstreamClient<ServiceRequest>,
    readonly retries: number,
  ) {
    this.returnsBodies = inner.returnsBodies;
  }

  dispatch(req: ServiceRequest, handler: UpstreamHandler): boolean {
    const h = free.pop() ?? new RetryHandler();
    h.start(this, req, handler);
    return this.inner.dispatch(req, h);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

const free: RetryHandler[] = [];

class RetryHandler extends ForwardingHandler {
  client: RetryClient | null = null;
  req: ServiceRequest | null = null;
  attempts = 1;
  /** A byte of response arrived (a head, even a 1xx): the upstream has the request. */
  started = false;

  start(client: RetryClient, req: ServiceRequest, handler: UpstreamHandler): void {
    this.client = client;
    this.req = req;
    this.attempts = 1;
    this.started = false;
    this.wrap(handler);
  }

  onAttempt(): void {
    this.inner!.onAttempt?.();
  }

  override onHeaders(status: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    this.started = true;
    return super.onHeaders(status, headers, resume, statusText);
  }

  override onError(err: Error, kind: UpstreamErrorKind): void {
    const inner = this.inner!;
    const client = this.client!;
    const req = this.req!;
    if (this.attempts <= client.retries && !this.started && req.replayable && isRetryable(kind) && inner.cancelled !== true && inner.forwarded !== true) {
      this.attempts++;
      client.inner.dispatch(req, this);
      return;
    }
    this.release().onError?.(err, kind);
  }

  protected release(): UpstreamHandler {
    const inner = this.inner!;
    this.inner = null;
    this.client = null;
    this.req = null;
    free.push(this);
    return inner;
  }
}
