import type { Pool } from 'undici';
import type { Config, Service, Upstream } from '../config/types.js';
import { createRouter } from '../router/index.js';
import { ConsistentHash, LeastConnections, RoundRobin, type Balancer, type Peer } from '../upstream/balancer.js';
import type { PoolRegistry } from '../upstream/pool.js';
import type { RouteRuntime, ServiceRuntime, Snapshot } from './types.js';
import { compileChains, consumerIndex, PluginStateStore } from '../plugins/chain.js';

/** Size of the node-wide shared memory handed to plugins (zero pages cost nothing until used). */
export const SHARED_MEMORY_BYTES = 32 * 1024 * 1024;

export interface CompileContext {
  pools: PoolRegistry;
  /** Plugin state carried across snapshots (a fresh one when omitted, e.g. for the CLI). */
  pluginState?: PluginStateStore;
  /** Node-wide shared memory from the main thread (a private one when omitted, e.g. for the CLI). */
  shared?: SharedArrayBuffer;
  /** Upstream TLS certificate verification (on by default). */
  tlsVerify?: boolean;
}

function defaultPort(scheme: string): number {
  return scheme === 'https' ? 443 : 80;
}

function makePeer(scheme: 'http' | 'https', host: string, port: number, weight: number, connectTimeout: number, ctx: CompileContext): Peer {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const origin = `${scheme}://${h}:${port}`;
  return {
    host,
    port,
    origin,
    hostHeader: port === defaultPort(scheme) ? h : `${h}:${port}`,
    weight,
    pool: ctx.pools.get(origin, connectTimeout, ctx.tlsVerify ?? true),
    active: 0,
    healthy: true,
  };
}

function makeBalancer(upstream: Upstream, peers: Peer[]): Balancer {
  switch (upstream.algorithm) {
    case 'consistent-hashing':
      return upstream.hash_on === 'none' ? new RoundRobin(peers) : new ConsistentHash(peers, upstream.slots);
    case 'least-connections':
      return new LeastConnections(peers);
    default:
      return new RoundRobin(peers);
  }
}

function compileService(service: Service, upstreams: ReadonlyMap<string, Upstream>, ctx: CompileContext): ServiceRuntime {
  const scheme: 'http' | 'https' = service.protocol === 'https' || service.protocol === 'wss' ? 'https' : 'http';
  const upstream = upstreams.get(service.host) ?? null;
  let balancer: Balancer;
  if (upstream !== null) {
    const peers = upstream.targets.map((t) => makePeer(scheme, t.host, t.port, t.weight, service.connect_timeout, ctx));
    balancer = makeBalancer(upstream, peers);
  } else {
    balancer = new RoundRobin([makePeer(scheme, service.host, service.port, 100, service.connect_timeout, ctx)]);
  }
  return { service, upstream, balancer, scheme, readTimeout: service.read_timeout, retries: service.retries };
}

/**
 * Config → Snapshot: the one function the proxy, the CLI and the reload use. Everything that
 * depends only on the configuration is computed here, once; the request path only looks up.
 * Routes of disabled services are left out of the router (as Kong does).
 */
export function compile(config: Config, ctx: CompileContext): Snapshot {
  const upstreams = new Map(config.upstreams.map((u) => [u.name, u]));
  const services = new Map<string, ServiceRuntime>();
  const serviceById = new Map<string, Service>();
  for (const s of config.services) {
    serviceById.set(s.id, s);
    if (s.enabled) services.set(s.id, compileService(s, upstreams, ctx));
  }
  const routes = config.routes.filter((r) => r.service === null || serviceById.get(r.service)?.enabled !== false);
  const router = createRouter(routes, serviceById);
  const chains = compileChains(config, router.ordered(), ctx.pluginState ?? new PluginStateStore(), ctx.shared ?? new SharedArrayBuffer(SHARED_MEMORY_BYTES));
  const runtimes: RouteRuntime[] = router.ordered().map((route) => {
    const protos = route.protocols;
    return {
      route,
      label: route.name ?? route.id,
      service: route.service === null ? null : services.get(route.service) ?? null,
      allowsHttp: protos.includes('http') || protos.includes('ws'),
      allowsHttps: protos.includes('https') || protos.includes('wss'),
      chain: chains.get(route) ?? null,
    };
  });
  const pools = new Set<Pool>();
  for (const s of services.values()) for (const p of s.balancer.peers) pools.add(p.pool);
  return { config, hash: config.hash, loadedAt: Date.now(), router, routes: runtimes, services, consumers: consumerIndex(config), pools };
}
