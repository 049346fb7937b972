import { UpstreamErrorKind, type UpstreamClient, type UpstreamHandler, type UpstreamRequest } from './client.js';
import { ForwardingHandler } from './forwarding-handler.js';
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
    h.start(this, handler);
    return this.inner.dispatch(req, h);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Handlers given back (see UpstreamClient): one per request in flight, not one per request. */
const free: PassiveHandler[] = [];

class PassiveHandler extends ForwardingHandler {
  client: PassiveHealthClient | null = null;

  start(client: PassiveHealthClient, handler: UpstreamHandler): void {
    this.client = client;
    this.wrap(handler);
  }

  override onHeaders(status: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    const c = this.client!;
    // Final statuses only: a 1xx is not the response.
    if (status >= 200) c.policy.status(c.peer, status);
    return super.onHeaders(status, headers, resume, statusText);
  }

  override onError(err: Error, kind: UpstreamErrorKind): void {
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

  protected release(): UpstreamHandler {
    const inner = this.inner!;
    this.inner = null;
    this.client = null;
    free.push(this);
    return inner;
  }
}
