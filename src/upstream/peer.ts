import type { UpstreamClient } from './client.js';

/**
 * A peer and the health state it carries. The balancer (which peers get traffic) and health (how
 * outcomes change a peer's state) both depend on this module and never on each other.
 */

export interface PeerHealth {
  successes: number;
  httpFailures: number;
  tcpFailures: number;
  timeouts: number;
}

/** What the proxy reports outcomes to (passive health checks, src/upstream/health.ts). */
export interface PassivePolicy {
  readonly enabled: boolean;
  status(peer: Peer, status: number): void;
  failure(peer: Peer, outcome: 'tcp_failure' | 'timeout'): void;
}

/** One place traffic can go: a target of an upstream, or a service's own host:port. */
export interface Peer {
  host: string;
  port: number;
  /** `http://host:port` */
  origin: string;
  /** `host:port` (`[v6]:port`): the access line's upstream_addr. */
  addr: string;
  /** Value of the upstream Host header when the route does not preserve the client's. */
  hostHeader: string;
  weight: number;
  /** The pooled client of this peer's origin (client.ts: h1/ or undici), shared via PoolRegistry. */
  pool: UpstreamClient;
  /** What requests to this peer go through: `pool`, wrapped by passive-health.ts when the upstream has passive checks. */
  client: UpstreamClient;
  /** Requests in flight to this peer (least-connections, metrics). */
  active: number;
  /** Passive/active health; an unhealthy peer gets no traffic. */
  healthy: boolean;
  /** Health counters (src/upstream/health.ts). */
  health: PeerHealth;
  /** The upstream's passive health policy, or null when passive checks are off. */
  passive: PassivePolicy | null;
}

/** A new peer with no traffic and fresh health counters (no passive policy until its upstream sets one). */
export function createPeer(host: string, port: number, origin: string, hostHeader: string, weight: number, pool: UpstreamClient): Peer {
  const addr = (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host) + ':' + port;
  return { host, port, origin, addr, hostHeader, weight, pool, client: pool, active: 0, healthy: true, health: { successes: 0, httpFailures: 0, tcpFailures: 0, timeouts: 0 }, passive: null };
}

/**
 * Peers outlive snapshots: the same target (upstream, origin, connect timeout) keeps its Peer,
 * so health and in-flight counts survive a reload (SPEC §6).
 */
export class PeerRegistry {
  private readonly peers = new Map<string, Peer>();
  private used = new Set<string>();

  begin(): void {
    this.used = new Set();
  }

  get(key: string, make: () => Peer): Peer {
    this.used.add(key);
    let p = this.peers.get(key);
    if (p === undefined) {
      p = make();
      this.peers.set(key, p);
    }
    return p;
  }

  /** After a swap: drop peers the new snapshot does not use. */
  sweep(): void {
    for (const k of this.peers.keys()) if (!this.used.has(k)) this.peers.delete(k);
  }
}

