/**
 * Where a plugin may send one request instead of its service's host: an Upstream entity by name
 * (Kong's kong.service.set_upstream, PluginContext.setUpstream) or a host:port directly (Kong's
 * kong.service.set_target, PluginContext.setTarget). Each answer is a ServiceRuntime like the
 * service's own (same scheme, TLS, timeouts, retries) with another balancer, built on first use
 * and kept for the snapshot: the request path swaps one reference, and a plugin that redirects
 * every request builds nothing per request.
 */
import type { Certificate, Upstream } from '../config/types.js';
import { SingleTarget } from '../upstream/balancer.js';
import { createPeer, type PeerRegistry } from '../upstream/peer.js';
import { createClient, type PoolRegistry } from '../upstream/pool.js';
import type { UpstreamClient } from '../upstream/client.js';
import { DEFAULT_TLS, upstreamTls } from '../upstream/tls.js';
import { makeBalancer, makePeer, serviceClient } from './peers.js';
import type { ServiceRuntime } from './types.js';

/** Direct targets kept per snapshot (service × host × port); the oldest goes first beyond it. */
export const MAX_DIRECT_TARGETS = 256;
/** Upstream-by-name balancers kept per snapshot (upstream × service). */
const MAX_UPSTREAM_BALANCERS = 4096;

export class UpstreamOverrides {
  private readonly byUpstream = new Map<string, ServiceRuntime>();
  private readonly byTarget = new Map<string, ServiceRuntime>();
  /** Clients this cache made itself (no configured peer had that origin): closed when evicted. */
  private readonly own = new Set<UpstreamClient>();

  constructor(
    readonly upstreams: ReadonlyMap<string, Upstream>,
    private readonly certificates: readonly Certificate[],
    private readonly ctx: { pools: PoolRegistry },
    private readonly peers: PeerRegistry,
    private readonly snapshotPools: ReadonlySet<UpstreamClient>,
  ) {}

  /** `service` sent to the upstream named `name` (its balancer, targets, passive health), or null when there is none. */
  upstream(name: string, service: ServiceRuntime): ServiceRuntime | null {
    const u = this.upstreams.get(name);
    if (u === undefined) return null;
    if (service.upstream === u) return service;
    const key = name + '\0' + service.service.id;
    let s = this.byUpstream.get(key);
    if (s === undefined) {
      const scheme = service.scheme;
      const tls = scheme === 'https' ? upstreamTls(service.service, this.certificates, u.client_certificate ?? null) : DEFAULT_TLS;
      const peers = u.targets.map((t) => makePeer(scheme, t.host, t.port, t.weight, service.service.connect_timeout, u, this.ctx, this.peers, tls));
      const balancer = makeBalancer(u, peers);
      s = { ...service, upstream: u, balancer, client: serviceClient(balancer, service.retries), tls };
      if (this.byUpstream.size >= MAX_UPSTREAM_BALANCERS) this.byUpstream.delete(this.byUpstream.keys().next().value!);
      this.byUpstream.set(key, s);
    }
    return s;
  }

  /**
   * `service` sent to `host:port` directly, bypassing any balancer (one peer, no health checks,
   * retries to the same target). The Host header is `host` unless the route preserves the
   * client's (Kong sets upstream_host to the target's host). Reuses the keep-alive client of a
   * configured peer with the same origin, else makes one, closed when this entry is evicted.
   */
  target(host: string, port: number, service: ServiceRuntime): ServiceRuntime {
    const key = service.service.id + '\0' + host + '\0' + port;
    let s = this.byTarget.get(key);
    if (s !== undefined) return s;
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    const origin = `${service.scheme}://${h}:${port}`;
    const timeout = service.service.connect_timeout;
    let pool = this.ctx.pools.find(origin, timeout, service.tls);
    if (pool === undefined || !this.snapshotPools.has(pool)) {
      pool = this.ownClient(origin, timeout, service);
    }
    const balancer = new SingleTarget(createPeer(host, port, origin, h, 100, pool));
    s = { ...service, upstream: null, balancer, client: serviceClient(balancer, service.retries) };
    if (this.byTarget.size >= MAX_DIRECT_TARGETS) this.evictTarget();
    this.byTarget.set(key, s);
    return s;
  }

  /** A client of our own for `origin`, shared by the cached targets with the same settings. */
  private ownClient(origin: string, timeout: number, service: ServiceRuntime): UpstreamClient {
    for (const t of this.byTarget.values()) {
      const p = (t.balancer as SingleTarget).peer;
      if (p.origin === origin && t.service.connect_timeout === timeout && t.tls.key === service.tls.key && this.own.has(p.pool)) return p.pool;
    }
    const pool = createClient(origin, timeout, service.tls);
    this.own.add(pool);
    return pool;
  }

  /** Drops the oldest target; its own client closes (after its requests) once no other target uses it. */
  private evictTarget(): void {
    const [key, s] = this.byTarget.entries().next().value!;
    this.byTarget.delete(key);
    const pool = (s.balancer as SingleTarget).peer.pool;
    if (!this.own.has(pool)) return;
    for (const t of this.byTarget.values()) if ((t.balancer as SingleTarget).peer.pool === pool) return;
    this.own.delete(pool);
    pool.close().catch(() => undefined);
  }

  /** Directly targeted entries held now (tests). */
  get targetCount(): number {
    return this.byTarget.size;
  }
}
