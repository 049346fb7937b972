import client from 'prom-client';
import type { Route } from '../../config/types.js';
import type { PluginDefinition } from '../types.js';
import { pluginSchema } from '../schema.js';
import { pluginRegistry, upstreamHealth } from '../../observability/plugin-metrics.js';
import { fromUpstream, requestSize, routeLabel, serviceLabel, type RequestLogView } from '../log-common/log-view.js';

interface Conf {
  per_consumer: boolean;
  status_code_metrics: boolean;
  latency_metrics: boolean;
  bandwidth_metrics: boolean;
  upstream_health_metrics: boolean;
}

/** Kong's prometheus plugin latency buckets (ms). */
const KONG_BUCKETS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 2000, 5000, 10000, 30000, 60000];
const WORKSPACE = 'default';

/**
 * The Kong-named series, created once per thread on the plugin registry (aggregated over workers
 * by GET /metrics), so a Kong user's dashboards (Grafana 7424) work unchanged.
 */
interface Series {
  requests: client.Counter<string>;
  requestLatency: client.Histogram<string>;
  upstreamLatency: client.Histogram<string>;
  kongLatency: client.Histogram<string>;
  bandwidth: client.Counter<string>;
}
let series: Series | null = null;
let healthGauge = false;

function kongSeries(): Series {
  if (series !== null) return series;
  const registers = [pluginRegistry];
  series = {
    requests: new client.Counter({
      name: 'kong_http_requests_total',
      help: 'HTTP status codes per consumer/service/route in Kong',
      labelNames: ['service', 'route', 'code', 'source', 'workspace', 'consumer'],
      registers,
    }),
    requestLatency: new client.Histogram({
      name: 'kong_request_latency_ms',
      help: 'Total latency incurred during requests for each service/route in Kong',
      labelNames: ['service', 'route', 'workspace'],
      buckets: KONG_BUCKETS,
      registers,
    }),
    upstreamLatency: new client.Histogram({
      name: 'kong_upstream_latency_ms',
      help: 'Latency added by upstream response for each service/route in Kong',
      labelNames: ['service', 'route', 'workspace'],
      buckets: KONG_BUCKETS,
      registers,
    }),
    kongLatency: new client.Histogram({
      name: 'kong_kong_latency_ms',
      help: 'Latency added by Kong and enabled plugins for each service/route in Kong',
      labelNames: ['service', 'route', 'workspace'],
      buckets: KONG_BUCKETS,
      registers,
    }),
    bandwidth: new client.Counter({
      name: 'kong_bandwidth_bytes',
      help: 'Total bandwidth (ingress/egress) throughput in bytes',
      labelNames: ['service', 'route', 'direction', 'workspace', 'consumer'],
      registers,
    }),
  };
  return series;
}

const HEALTH_STATES = ['healthchecks_off', 'healthy', 'unhealthy', 'dns_error'] as const;

function registerHealthGauge(): void {
  if (healthGauge) return;
  healthGauge = true;
  new client.Gauge({
    name: 'kong_upstream_target_health',
    help: 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
    labelNames: ['upstream', 'target', 'address', 'state', 'subsystem', 'workspace'],
    registers: [pluginRegistry],
    // Each worker reports the same targets: the node-wide value is the worst seen.
    aggregator: 'max',
    collect() {
      this.reset();
      const all = upstreamHealth();
      for (const upstream in all) {
        for (const t of all[upstream]!) {
          const state = t.healthy ? 'healthy' : 'unhealthy';
          for (const s of HEALTH_STATES) {
            this.set({ upstream, target: t.target, address: t.target, state: s, subsystem: 'http', workspace: WORKSPACE }, s === state ? 1 : 0);
          }
        }
      }
    },
  });
}

/** Label children of one route, resolved once (the request path indexes arrays, never hashes labels). */
interface RouteKids {
  service: string;
  route: string;
  /** [source][status] for consumer "" */
  status: [Array<client.Counter.Internal | undefined>, Array<client.Counter.Internal | undefined>];
  byConsumer: Map<string, [Array<client.Counter.Internal | undefined>, Array<client.Counter.Internal | undefined>]>;
  latency: client.Histogram.Internal<string>;
  upstream: client.Histogram.Internal<string>;
  kong: client.Histogram.Internal<string>;
  ingress: client.Counter.Internal;
  egress: client.Counter.Internal;
  bandwidthByConsumer: Map<string, [client.Counter.Internal, client.Counter.Internal]>;
}
const kidsOf = new WeakMap<Route, RouteKids>();

function kids(s: Series, ctx: RequestLogView): RouteKids {
  let k = kidsOf.get(ctx.route);
  if (k === undefined) {
    const service = serviceLabel(ctx.service);
    const route = routeLabel(ctx.route);
    k = {
      service,
      route,
      status: [[], []],
      byConsumer: new Map(),
      latency: s.requestLatency.labels(service, route, WORKSPACE),
      upstream: s.upstreamLatency.labels(service, route, WORKSPACE),
      kong: s.kongLatency.labels(service, route, WORKSPACE),
      ingress: s.bandwidth.labels(service, route, 'ingress', WORKSPACE, ''),
      egress: s.bandwidth.labels(service, route, 'egress', WORKSPACE, ''),
      bandwidthByConsumer: new Map(),
    };
    kidsOf.set(ctx.route, k);
  }
  return k;
}

const SOURCES = ['kong', 'service'] as const;

/**
 * prometheus (Kong priority 13). Sluice's own series (sluice_http_requests_total, …) exist for
 * every route whether or not this plugin is configured; the plugin adds Kong's series, named and
 * labelled as Kong does, for the requests it applies to: kong_http_requests_total
 * (status_code_metrics), kong_request_latency_ms / kong_upstream_latency_ms /
 * kong_kong_latency_ms (latency_metrics), kong_bandwidth_bytes (bandwidth_metrics),
 * kong_upstream_target_health (upstream_health_metrics), with the consumer label filled when
 * per_consumer. Scraped from the admin API's GET /metrics, aggregated over workers.
 */
export const prometheus: PluginDefinition = {
  name: 'prometheus',
  priority: 13,
  schema: pluginSchema('prometheus'),
  create(instance) {
    const conf = instance.config as unknown as Conf;
    if (conf.upstream_health_metrics) registerHealthGauge();
    if (!conf.status_code_metrics && !conf.latency_metrics && !conf.bandwidth_metrics) return {};
    const s = kongSeries();
    const perConsumer = conf.per_consumer;
    return {
      log(ctx: RequestLogView, info) {
        const k = kids(s, ctx);
        const consumer = perConsumer && ctx.consumer !== null ? ctx.consumer.username ?? ctx.consumer.id : null;
        const upstream = fromUpstream(ctx, info);
        if (conf.status_code_metrics) {
          let bySource = k.status;
          if (consumer !== null) {
            let c = k.byConsumer.get(consumer);
            if (c === undefined) k.byConsumer.set(consumer, (c = [[], []]));
            bySource = c;
          }
          const src = upstream ? 1 : 0;
          const arr = bySource[src];
          let child = arr[info.status];
          if (child === undefined) {
            child = s.requests.labels(k.service, k.route, String(info.status), SOURCES[src], WORKSPACE, consumer ?? '');
            arr[info.status] = child;
          }
          child.inc();
        }
        if (conf.latency_metrics) {
          k.latency.observe(info.latencyMs);
          if (upstream) {
            k.upstream.observe(info.upstreamLatencyMs);
            k.kong.observe(ctx.proxyLatency ?? 0);
          } else {
            k.kong.observe(info.latencyMs);
          }
        }
        if (conf.bandwidth_metrics) {
          let pair: [client.Counter.Internal, client.Counter.Internal] = [k.ingress, k.egress];
          if (consumer !== null) {
            let c = k.bandwidthByConsumer.get(consumer);
            if (c === undefined) {
              c = [s.bandwidth.labels(k.service, k.route, 'ingress', WORKSPACE, consumer), s.bandwidth.labels(k.service, k.route, 'egress', WORKSPACE, consumer)];
              k.bandwidthByConsumer.set(consumer, c);
            }
            pair = c;
          }
          pair[0].inc(requestSize(ctx));
          if (info.bytesSent > 0) pair[1].inc(info.bytesSent);
        }
      },
    };
  },
};
