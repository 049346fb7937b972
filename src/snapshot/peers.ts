/** Peers and balancers of a configuration: what `compile` builds per service, and `UpstreamOverrides` on demand. */
import type { Upstream } from '../config/types.js';
import { ConsistentHash, LeastConnections, RoundRobin, type Balancer } from '../upstream/balancer.js';
import { createPeer, type Peer, type PeerRegistry } from '../upstream/peer.js';
import { ActiveHealthChecker, PassiveHealth } from '../upstream/health.js';
import { BalancedClient, type ServiceRequest } from '../upstream/balanced.js';
import type { UpstreamClient } from '../upstream/client.js';
import { PassiveHealthClient } from '../upstream/passive-health.js';
import { RetryClient } from '../upstream/retry.js';
import type { UpstreamTls } from '../upstream/tls.js';
import type { PoolRegistry } from '../upstream/pool.js';

export function defaultPort(scheme: string): number {
  return scheme === 'https' ? 443 : 80;
}

export function makePeer(scheme: 'http' | 'https', host: string, port: number, weight: number, connectTimeout: number, upstream: Upstream | null, ctx: { pools: PoolRegistry }, peers: PeerRegistry, tls: UpstreamTls): Peer {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const origin = `${scheme}://${h}:${port}`;
  const pool = ctx.pools.get(origin, connectTimeout, tls);
  const hostHeader = upstream?.host_header ?? (port === defaultPort(scheme) ? h : `${h}:${port}`);
  // Services with different TLS settings reach the same target through different pools: different peers.
  const peer = peers.get(`${upstream?.name ?? ''}|${origin}|${connectTimeout}${scheme === 'https' ? '|' + tls.key : ''}`, () => createPeer(host, port, origin, hostHeader, weight, pool));
  // This snapshot's settings (the previous snapshot's requests finish with the same peer).
  peer.weight = weight;
  peer.pool = pool;
  peer.hostHeader = hostHeader;
  const passive = upstream === null ? null : new PassiveHealth(upstream.healthchecks.passive);
  peer.passive = passive !== null && passive.enabled ? passive : null;
  peer.client = peer.passive === null ? pool : new PassiveHealthClient(pool, peer, peer.passive);
  if (upstream !== null && peer.passive === null && !ActiveHealthChecker.enabled(upstream.healthchecks.active)) peer.healthy = true;
  return peer;
}

export function makeBalancer(upstream: Upstream, peers: Peer[]): Balancer {
  switch (upstream.algorithm) {
    case 'consistent-hashing':
      return upstream.hash_on === 'none' ? new RoundRobin(peers) : new ConsistentHash(peers, upstream.slots);
    case 'least-connections':
      return new LeastConnections(peers);
    default:
      return new RoundRobin(peers);
  }
}

/**
 * What a service's requests go through: retry → the balancer (a peer per attempt) → the peer's
 * client. A layer with nothing to do is left out at compile time, as passive health is on peers
 * without passive checks: a service with `retries: 0` gets no retry layer, and its requests no
 * retry handler.
 */
export function serviceClient(balancer: Balancer, retries: number): UpstreamClient<ServiceRequest> {
  const balanced = new BalancedClient(balancer);
  return retries > 0 ? new RetryClient(balanced, retries) : balanced;
}
