import client from 'prom-client';
import type { RouteRuntime } from '../snapshot/types.js';

const LATENCY_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

interface RouteChildren {
  byStatus: Array<client.Counter.Internal | undefined>;
  latency: client.Histogram.Internal<string>;
  upstream: client.Histogram.Internal<string>;
}

/**
 * Request metrics of one worker, on its own prom-client registry (the main thread aggregates the
 * workers' registries for GET /metrics). Label children are cached per route and status, so the
 * request path does an array index and an add, not a label-hash lookup.
 */
export class WorkerMetrics {
  readonly registry = new client.Registry();
  private readonly requests: client.Counter<string>;
  private readonly latency: client.Histogram<string>;
  private readonly upstreamLatency: client.Histogram<string>;
  private readonly bytes: client.Counter<string>;
  private readonly children = new WeakMap<RouteRuntime, RouteChildren>();
  private readonly noRoute = new Map<number, client.Counter.Internal>();

  constructor(inFlight: () => number) {
    const registers = [this.registry];
    this.requests = new client.Counter({
      name: 'sluice_http_requests_total',
      help: 'HTTP requests proxied or answered, by route, service and status code',
      labelNames: ['route', 'service', 'code'],
      registers,
    });
    this.latency = new client.Histogram({
      name: 'sluice_request_latency_ms',
      help: 'Time from request received to response finished, in ms',
      labelNames: ['route', 'service'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.upstreamLatency = new client.Histogram({
      name: 'sluice_upstream_latency_ms',
      help: 'Time from request sent upstream to response headers received, in ms',
      labelNames: ['route', 'service'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.bytes = new client.Counter({
      name: 'sluice_response_bytes_total',
      help: 'Response body bytes sent to clients',
      registers,
    });
    new client.Gauge({
      name: 'sluice_requests_in_flight',
      help: 'Requests being served right now',
      registers,
      collect() {
        this.set(inFlight());
      },
    });
  }

  record(rt: RouteRuntime | null, status: number, totalMs: number, upstreamMs: number, bytes: number): void {
    if (bytes > 0) this.bytes.inc(bytes);
    if (rt === null) {
      let c = this.noRoute.get(status);
      if (c === undefined) {
        c = this.requests.labels('', '', String(status));
        this.noRoute.set(status, c);
      }
      c.inc();
      return;
    }
    let ch = this.children.get(rt);
    if (ch === undefined) {
      const service = rt.service?.service.name ?? rt.service?.service.id ?? '';
      ch = {
        byStatus: [],
        latency: this.latency.labels(rt.label, service),
        upstream: this.upstreamLatency.labels(rt.label, service),
      };
      this.children.set(rt, ch);
    }
    let c = ch.byStatus[status];
    if (c === undefined) {
      c = this.requests.labels(rt.label, rt.service?.service.name ?? rt.service?.service.id ?? '', String(status));
      ch.byStatus[status] = c;
    }
    c.inc();
    ch.latency.observe(totalMs);
    if (upstreamMs >= 0) ch.upstream.observe(upstreamMs);
  }
}
