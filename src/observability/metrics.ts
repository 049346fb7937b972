import client from 'prom-client';
import type { RouteRuntime } from '../snapshot/types.js';

const LATENCY_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

type Labels = Record<string, string>;

/** What prom-client reads from a metric at scrape (`get()`): the JSON form of its series. */
interface MetricJson {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Array<{ labels: Labels; value: number; metricName?: string }>;
}

/** One counter series: a plain number the request path adds to. */
interface CounterSeries {
  labels: Labels;
  value: number;
}

/** One histogram series: per-bucket counts (not cumulative; summed at scrape), sum and count. */
interface HistogramSeries {
  labels: Labels;
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A counter whose series are plain objects the request path increments (no label hashing, no
 * prom-client call per request); prom-client reads it at scrape through `get()`, as it does for
 * its own metrics, so text output and the cross-worker aggregation are unchanged.
 */
class FastCounter {
  readonly type = 'counter' as const;
  readonly aggregator = 'sum' as const;
  private readonly series = new Map<string, CounterSeries>();

  constructor(readonly name: string, readonly help: string) {}

  child(labels: Labels): CounterSeries {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels, value: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  get(): MetricJson {
    const values = [...this.series.values()].map((s) => ({ labels: s.labels, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const s of this.series.values()) s.value = 0;
  }
}

/** A histogram with the same fast path; buckets are cumulative only in `get()`. */
class FastHistogram {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {}

  child(labels: Labels): HistogramSeries {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels, counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  observe(s: HistogramSeries, v: number): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    if (i < b.length) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }

  get(): MetricJson {
    const values: MetricJson['values'] = [];
    for (const s of this.series.values()) {
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += s.counts[i]!;
        values.push({ labels: { ...s.labels, le: String(this.buckets[i]!) }, value: acc, metricName: this.name + '_bucket' });
      }
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: this.name + '_bucket' });
      values.push({ labels: s.labels, value: s.sum, metricName: this.name + '_sum' });
      values.push({ labels: s.labels, value: s.count, metricName: this.name + '_count' });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

interface RouteChildren {
  byStatus: Array<CounterSeries | undefined>;
  latency: HistogramSeries;
  upstream: HistogramSeries;
}

/**
 * Request metrics of one worker, on its own prom-client registry (the main thread aggregates the
 * workers' registries for GET /metrics). Series are cached per route and status, so the request
 * path does an array index and a few additions: no label hashing, no prom-client call.
 */
export class WorkerMetrics {
  readonly registry = new client.Registry();
  private readonly requests = new FastCounter('sluice_http_requests_total', 'HTTP requests proxied or answered, by route, service and status code');
  private readonly latency = new FastHistogram('sluice_request_latency_ms', 'Time from request received to response finished, in ms', LATENCY_BUCKETS);
  private readonly upstreamLatency = new FastHistogram('sluice_upstream_latency_ms', 'Time from request sent upstream to response headers received, in ms', LATENCY_BUCKETS);
  private readonly bytes = new FastCounter('sluice_response_bytes_total', 'Response body bytes sent to clients');
  private readonly bytesSeries = this.bytes.child({});
  private readonly children = new WeakMap<RouteRuntime, RouteChildren>();
  private readonly noRoute = new Map<number, CounterSeries>();

  constructor(inFlight: () => number) {
    const registers = [this.registry];
    for (const m of [this.requests, this.latency, this.upstreamLatency, this.bytes]) this.registry.registerMetric(m as unknown as client.Metric<string>);
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
    if (bytes > 0) this.bytesSeries.value += bytes;
    if (rt === null) {
      let c = this.noRoute.get(status);
      if (c === undefined) {
        c = this.requests.child({ route: '', service: '', code: String(status) });
        this.noRoute.set(status, c);
      }
      c.value++;
      return;
    }
    let ch = this.children.get(rt);
    if (ch === undefined) {
      const service = rt.service?.service.name ?? rt.service?.service.id ?? '';
      ch = {
        byStatus: [],
        latency: this.latency.child({ route: rt.label, service }),
        upstream: this.upstreamLatency.child({ route: rt.label, service }),
      };
      this.children.set(rt, ch);
    }
    let c = ch.byStatus[status];
    if (c === undefined) {
      c = this.requests.child({ route: rt.label, service: rt.service?.service.name ?? rt.service?.service.id ?? '', code: String(status) });
      ch.byStatus[status] = c;
    }
    c.value++;
    this.latency.observe(ch.latency, totalMs);
    if (upstreamMs >= 0) this.upstreamLatency.observe(ch.upstream, upstreamMs);
  }
}
