import type { UpstreamTls } from '../upstream/tls.js';
import type { ServiceRequest } from '../upstream/balanced.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { Config, Route, Service, Upstream } from '../config/types.js';
import type { Router } from '../router/types.js';
import type { Balancer } from '../upstream/balancer.js';
import type { Peer } from '../upstream/peer.js';
import type { Chain } from '../plugins/chain.js';
import type { ConsumerIndex } from '../plugins/types.js';
import type { UpstreamOverrides } from './overrides.js';

/** A service compiled for the request path: where to send, how long to wait. */
export interface ServiceRuntime {
  service: Service;
  /** The upstream entity when `service.host` names one, else null (a single peer). */
  upstream: Upstream | null;
  balancer: Balancer;
  /** Where the HTTP proxy sends requests: retry.ts around balanced.ts (a peer per attempt). */
  client: UpstreamClient<ServiceRequest>;
  /** `http` or `https` towards the upstream (ws/wss services map to http/https for plain requests). */
  scheme: 'http' | 'https';
  /** Upstream TLS options (client certificate, verification) of https/wss services. */
  tls: UpstreamTls;
  readTimeout: number;
  retries: number;
}

/** A route compiled for the request path (index = its position in `router.ordered()`). */
export interface RouteRuntime {
  route: Route;
  /** `route.name`, or its id: the label in logs and metrics. */
  label: string;
  service: ServiceRuntime | null;
  /** Route protocols allow plain http / https (ws and wss count as their http counterparts). */
  allowsHttp: boolean;
  allowsHttps: boolean;
  /** The precompiled plugin chain (null when no plugin applies). */
  chain: Chain | null;
}

/** The immutable, compiled form of one configuration. A reload builds a new one and swaps it. */
export interface Snapshot {
  config: Config;
  hash: string;
  loadedAt: number;
  router: Router;
  routes: RouteRuntime[];
  services: ReadonlyMap<string, ServiceRuntime>;
  consumers: ConsumerIndex;
  /** Upstreams with their peers, for the worker's active health checks. */
  upstreamPeers: ReadonlyArray<{ upstream: Upstream; peers: readonly Peer[] }>;
  /** Every upstream pool this snapshot uses (the rest are closed after a swap). */
  pools: ReadonlySet<UpstreamClient>;
  /** Upstream entities by name, and where a plugin's setUpstream / setTarget sends a request. */
  overrides: UpstreamOverrides;
}
