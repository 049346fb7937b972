import type { UpstreamClient } from '../upstream/client.js';
import type { Certificate, Config, Service, Upstream } from '../config/types.js';
import { createRouter } from '../router/index.js';
import { RoundRobin, type Balancer } from '../upstream/balancer.js';
import { PeerRegistry, type Peer } from '../upstream/peer.js';
import type { PoolRegistry } from '../upstream/pool.js';
import { makeBalancer, makePeer, serviceClient } from './peers.js';
import { UpstreamOverrides } from './overrides.js';
import { DEFAULT_TLS, upstreamTls } from '../upstream/tls.js';
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
  /** Peers carried across snapshots (health, in-flight counts); a fresh one when omitted. */
  peers?: PeerRegistry;
}

function compileService(service: Service, upstreams: ReadonlyMap<string, Upstream>, ctx: CompileContext, peers: PeerRegistry, certificates: readonly Certificate[]): ServiceRuntime {
  const scheme: 'http' | 'https' = service.protocol === 'https' || service.protocol === 'wss' ? 'https' : 'http';
  const upstream = upstreams.get(service.host) ?? null;
  const tls = scheme === 'https' ? upstreamTls(service, certificates, upstream?.client_certificate ?? null) : DEFAULT_TLS;
  let balancer: Balancer;
  if (upstream !== null) {
    balancer = makeBalancer(upstream, upstream.targets.map((t) => makePeer(scheme, t.host, t.port, t.weight, service.connect_timeout, upstream, ctx, peers, tls)));
  } else {
    balancer = new RoundRobin([makePeer(scheme, service.host, service.port, 100, service.connect_timeout, null, ctx, peers, tls)]);
  }
  const client = serviceClient(balancer, service.retries);
  return { service, upstream, balancer, client, scheme, tls, readTimeout: service.read_timeout, retries: service.retries };
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
  const peers = ctx.peers ?? new PeerRegistry();
  peers.begin();
  for (const s of config.services) {
    serviceById.set(s.id, s);
    if (s.enabled) services.set(s.id, compileService(s, upstreams, ctx, peers, config.certificates));
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
  const pools = new Set<UpstreamClient>();
  for (const s of services.values()) for (const p of s.balancer.peers) pools.add(p.pool);
  const upstreamPeers: Array<{ upstream: Upstream; peers: readonly Peer[] }> = [];
  for (const s of services.values()) if (s.upstream !== null) upstreamPeers.push({ upstream: s.upstream, peers: s.balancer.peers });
  const overrides = new UpstreamOverrides(upstreams, config.certificates, ctx, peers, pools);
  return { config, hash: config.hash, loadedAt: Date.now(), router, routes: runtimes, services, consumers: consumerIndex(config), upstreamPeers, pools, overrides };
}
