import type { BalanceInput, Balancer } from './balancer.js';
import { UpstreamErrorKind, type UpstreamClient, type UpstreamHandler, type UpstreamRequest } from './client.js';
import { ForwardingHandler } from './forwarding-handler.js';
import type { Peer } from './peer.js';

/** A request to a service: the balancer picks its peer, which fills in its Host header. */
export interface ServiceRequest extends UpstreamRequest {
  /** Index in `headers` of the Host value the picked peer supplies (-1: the caller set Host). */
  hostAt: number;
  /** The consistent-hashing key (only when the balancer needsHashKey), else null. */
  hash: BalanceInput | null;
  /** The peer the last attempt went to (null before the first): a retry avoids it. */
  peer: Peer | null;
  /** The request may be sent twice: an idempotent method and a body that can be replayed. */
  replayable: boolean;
}

const NO_PEER = Object.assign(new Error('failure to get a peer from the ring-balancer'), { code: 'SLUICE_NO_PEER' });

/**
 * A service's peers as one client: each dispatch picks a peer (avoiding the one the previous
 * attempt went to), counts it in flight until the request's last callback, and sends the request
 * through the peer's client (peer.client: its pool, maybe wrapped by passive-health.ts). Built
 * once per service at snapshot compile time.
 */
export class BalancedClient implements UpstreamClient<ServiceRequest> {
  readonly returnsBodies: boolean;

  constructor(readonly balancer: Balancer) {
    this.returnsBodies = balancer.peers.every((p) => p.client.returnsBodies);
  }

  dispatch(req: ServiceRequest, handler: UpstreamHandler): boolean {
    const peer = this.balancer.pick(req.hash, req.peer);
    if (peer === null) {
      handler.onError?.(NO_PEER, UpstreamErrorKind.NoPeer);
      return false;
    }
    req.peer = peer;
    peer.active++;
    if (req.hostAt >= 0) req.headers![req.hostAt] = peer.hostHeader;
    handler.onAttempt?.();
    const h = free.pop() ?? new PeerHandler();
    h.start(peer, handler);
    try {
      return peer.client.dispatch(req, h);
    } catch (err) {
      if (h.inner === handler) h.onError(err as Error, UpstreamErrorKind.ResetBeforeResponse);
      return false;
    }
  }

  close(): Promise<void> {
    return Promise.resolve(); // the peers' clients belong to the PoolRegistry
  }
}

const free: PeerHandler[] = [];

/** Counts one request in flight on its peer (least-connections, metrics) until its last callback. */
class PeerHandler extends ForwardingHandler {
  peer: Peer | null = null;

  start(peer: Peer, handler: UpstreamHandler): void {
    this.peer = peer;
    this.wrap(handler);
  }

  protected release(): UpstreamHandler {
    const inner = this.inner!;
    this.peer!.active--;
    this.inner = null;
    this.peer = null;
    free.push(this);
    return inner;
  }
}
