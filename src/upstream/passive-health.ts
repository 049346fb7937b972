import { UpstreamErrorKind, type UpstreamClient, type UpstreamHandler, type UpstreamRequest } from './client.js';
import type { PassivePolicy, Peer } from './peer.js';

/**
 * Passive health checks as a client wrapping one peer's client (Kong's model, health.ts): every
 * final response status, timeout and connection failure of the requests sent to the peer is
 * reported to the upstream's policy. Built once per peer at snapshot compile time, only when the
 * upstream has passive checks on (peer.client); requests to other peers never see it.
 */
export class PassiveHealthClient implements UpstreamClient {
  readonly returnsBodies: boolean;

  constructor(
    private readonly inner: UpstreamClient,
    readonly peer: Peer,
    readonly policy: PassivePolicy,
  ) {
    this.returnsBodies = inner.returnsBodies;
  }

  dispatch(req: UpstreamRequest, handler: UpstreamHandler): boolean {
    const h = free.pop() ?? new PassiveHandler();
    h.client = this;
    h.inner = handler;
    h.copiesData = handler.copiesData === true;
    return this.inner.dispatch(req, h);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Handlers given back (see UpstreamClient): one per request in flight, not one per request. */
const free: PassiveHandler[] = [];

class PassiveHandler implements UpstreamHandler {
  client: PassiveHealthClient | null = null;
  inner: UpstreamHandler | null = null;
  copiesData = false;

  onConnect(abort: (err?: Error) => void): void {
    this.inner!.onConnect?.(abort);
  }

  onHeaders(status: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    const c = this.client!;
    // Final statuses only: a 1xx is not the response.
    if (status >= 200) c.policy.status(c.peer, status);
    return this.inner!.onHeaders?.(status, headers, resume, statusText) ?? true;
  }

  onData(chunk: Buffer): boolean {
    return this.inner!.onData?.(chunk) ?? true;
  }

  onComplete(trailers: Buffer[] | null): void {
    const inner = this.release();
    inner.onComplete?.(trailers);
  }

  onError(err: Error, kind: UpstreamErrorKind): void {
    const c = this.client!;
    const inner = this.release();
    // Not when the caller ended the request itself; a failure once the response was being
    // forwarded counts only as a timeout.
    if (inner.cancelled !== true) {
      if (kind === UpstreamErrorKind.ConnectTimeout || kind === UpstreamErrorKind.HeadersTimeout) c.policy.failure(c.peer, 'timeout');
      else if (inner.forwarded !== true) c.policy.failure(c.peer, 'tcp_failure');
    }
    inner.onError?.(err, kind);
  }

  get cancelled(): boolean {
    return this.inner?.cancelled === true;
  }

  get forwarded(): boolean {
    return this.inner?.forwarded === true;
  }

  private release(): UpstreamHandler {
    const inner = this.inner!;
    this.inner = null;
    this.client = null;
    free.push(this);
    return inner;
  }
}
