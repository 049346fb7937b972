import type { Agent } from 'undici';
import { undici } from '../../lazy.js';
import type { PluginContext, PluginDefinition } from '../types.js';
import { pluginSchema } from '../schema.js';
import { BatchQueue, queueOptions, type QueueConfig } from '../log-common/batch-queue.js';
import { epochNanos, fromUpstream, type RequestLogView } from '../log-common/log-view.js';
import { sinkKey } from '../log-common/sink-key.js';
import { extract, inject, newSpanId, newTraceId, type Format } from './trace-context.js';

interface Conf {
  endpoint: string | null;
  traces_endpoint: string | null;
  headers: Record<string, string> | null;
  resource_attributes: Record<string, string> | null;
  batch_span_count: number | null;
  batch_flush_delay: number | null;
  connect_timeout: number;
  send_timeout: number;
  read_timeout: number;
  header_type: string;
  http_response_header_for_traceid: string | null;
  queue: QueueConfig;
  sampling_rate: number | null;
  sampling_strategy: 'parent_drop_probability_fallback' | 'parent_probability_fallback';
}

/** What the access phase decided for a request, read back by the header and log phases. */
interface Trace {
  traceId: string;
  /** The gateway's request span (kind SERVER). */
  rootId: string;
  /** The caller's span, parent of the root span. */
  parentId: string | null;
  /** The span sent upstream: the balancer span (kind CLIENT), child of the root span. */
  balancerId: string;
  sampled: boolean;
}

type AnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean };
interface Attribute {
  key: string;
  value: AnyValue;
}
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attribute[];
  status: { code: number; message?: string };
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const str = (key: string, v: string): Attribute => ({ key, value: { stringValue: v } });
const int = (key: string, v: number): Attribute => ({ key, value: { intValue: String(v) } });

/** header_type values Sluice implements; Kong's other formats (jaeger, ot, aws, datadog, gcp, instana) inject w3c. */
function injectFormat(headerType: string): Format | 'preserve' {
  if (headerType === 'b3' || headerType === 'b3-single') return headerType;
  if (headerType === 'preserve') return 'preserve';
  return 'w3c';
}

/** The exporter of one configuration: spans batched into OTLP/HTTP JSON requests. */
class SpanExporter {
  readonly queue: BatchQueue<Span>;
  private readonly agent: Agent;
  private readonly headers: Record<string, string>;
  private readonly resource: { attributes: Attribute[] };

  constructor(private readonly url: string, conf: Conf) {
    this.headers = { 'content-type': 'application/json' };
    if (conf.headers !== null) for (const k in conf.headers) this.headers[k.toLowerCase()] = conf.headers[k]!;
    const attrs: Record<string, string> = { 'service.name': 'sluice', ...(conf.resource_attributes ?? {}) };
    this.resource = { attributes: Object.entries(attrs).map(([k, v]) => str(k, v)) };
    this.agent = new (undici().Agent)({ headersTimeout: conf.read_timeout, bodyTimeout: conf.read_timeout, connect: { timeout: conf.connect_timeout } });
    const q = { ...conf.queue };
    if (conf.batch_span_count !== null) q.max_batch_size = conf.batch_span_count;
    if (conf.batch_flush_delay !== null) q.max_coalescing_delay = conf.batch_flush_delay;
    this.queue = new BatchQueue(queueOptions('opentelemetry', q), (spans) => this.send(spans));
  }

  private async send(spans: Span[]): Promise<void> {
    const body = JSON.stringify({ resourceSpans: [{ resource: this.resource, scopeSpans: [{ scope: { name: 'sluice', version: '0.1.0' }, spans }] }] });
    const res = await undici().request(this.url, { method: 'POST', headers: this.headers, body, dispatcher: this.agent });
    await res.body.dump();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`OTLP endpoint answered ${res.statusCode}`);
  }
}

/**
 * opentelemetry (Kong priority 14). Access phase: continues the caller's trace (W3C
 * `traceparent`/`tracestate`, else B3) or starts one, decides sampling, and sends the upstream
 * the context of a child span (the balancer span) in the configured format. Log phase: the
 * request's spans — `kong` (SERVER, child of the caller's span) and `kong.balancer` (CLIENT,
 * child of `kong`, when the request went upstream) — are queued and exported in batches as
 * OTLP/HTTP JSON to `traces_endpoint`.
 */
export const opentelemetry: PluginDefinition = {
  name: 'opentelemetry',
  priority: 14,
  schema: pluginSchema('opentelemetry'),
  check(config) {
    const url = (config.traces_endpoint ?? config.endpoint) as string | null;
    if (url === null || url === undefined) return [{ path: ['traces_endpoint'], message: 'traces_endpoint (or its older name endpoint) is required' }];
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      return [{ path: [config.traces_endpoint != null ? 'traces_endpoint' : 'endpoint'], message: 'must be an http:// or https:// URL' }];
    }
    return [];
  },
  create(instance, ctx) {
    const conf = instance.config as unknown as Conf;
    const url = (conf.traces_endpoint ?? conf.endpoint)!;
    const key = sinkKey('opentelemetry', instance.id, conf);
    const rate = conf.sampling_rate ?? 1;
    const parentDecides = conf.sampling_strategy === 'parent_probability_fallback';
    const format = injectFormat(conf.header_type);
    const ignoreIncoming = conf.header_type === 'ignore';
    const traceHeader = conf.http_response_header_for_traceid;
    const traces = new WeakMap<PluginContext, Trace>();
    let exporter: SpanExporter | null = null;

    return {
      access(req) {
        const incoming = ignoreIncoming ? null : extract(req.headers);
        let sampled: boolean;
        if (incoming !== null && incoming.sampled === false) sampled = false;
        else if (incoming !== null && incoming.sampled === true && parentDecides) sampled = true;
        else sampled = rate >= 1 || (rate > 0 && Math.random() < rate);
        const t: Trace = {
          traceId: incoming?.traceId ?? newTraceId(),
          rootId: newSpanId(),
          parentId: incoming?.spanId ?? null,
          balancerId: newSpanId(),
          sampled,
        };
        traces.set(req, t);
        const f = format === 'preserve' ? incoming?.format ?? 'w3c' : format;
        inject(f, t.traceId, t.balancerId, t.rootId, sampled, incoming?.format === 'w3c' ? incoming.tracestate : null, (n, v) => req.setUpstreamHeader(n, v));
      },
      header:
        traceHeader === null
          ? undefined
          : (req) => {
              const t = traces.get(req);
              if (t !== undefined) req.addResponseHeader(traceHeader, t.traceId);
            },
      log(req: RequestLogView, info) {
        const t = traces.get(req);
        if (t === undefined || !t.sampled) return;
        exporter ??= ctx.state(key, () => new SpanExporter(url, conf));
        const start = req.start ?? performance.now() - info.latencyMs;
        const end = start + info.latencyMs;
        const h = req.headers;
        const scheme = req.state?.tls ? 'https' : 'http';
        const host = h.host ?? '';
        const target = req.url ?? req.path;
        const attrs: Attribute[] = [
          str('http.method', req.method),
          str('http.url', `${scheme}://${host}${target}${req.query === '' ? '' : '?' + req.query}`),
          str('http.host', host),
          str('http.scheme', scheme),
          str('http.flavor', '1.1'),
          str('http.client_ip', req.clientIp),
          str('net.peer.ip', req.clientIp),
          str('kong.request.id', req.requestId),
          int('http.status_code', info.status),
          str('kong.route.id', req.route.id),
        ];
        if (req.route.name !== null) attrs.push(str('kong.route.name', req.route.name));
        const service = req.service;
        if (service !== null) attrs.push(str('kong.service.id', service.id));
        if (service?.name != null) attrs.push(str('kong.service.name', service.name));
        if (req.consumer !== null) attrs.push(str('kong.consumer.id', req.consumer.id));
        const root: Span = {
          traceId: t.traceId,
          spanId: t.rootId,
          name: 'kong',
          kind: SPAN_KIND_SERVER,
          startTimeUnixNano: epochNanos(start),
          endTimeUnixNano: epochNanos(end),
          attributes: attrs,
          status: info.status >= 500 ? { code: 2, message: 'HTTP ' + info.status } : { code: 0 },
        };
        if (t.parentId !== null) root.parentSpanId = t.parentId;
        exporter.queue.push(root);
        if (req.dispatched === true && service !== null) {
          const bStart = start + (req.proxyLatency ?? 0);
          const upstream = fromUpstream(req, info);
          const bEnd = upstream ? bStart + info.upstreamLatencyMs : end;
          const peerName = req.rt?.service?.upstream?.name ?? service.host;
          exporter.queue.push({
            traceId: t.traceId,
            spanId: t.balancerId,
            parentSpanId: t.rootId,
            name: 'kong.balancer',
            kind: SPAN_KIND_CLIENT,
            startTimeUnixNano: epochNanos(bStart),
            endTimeUnixNano: epochNanos(Math.max(bStart, bEnd)),
            attributes: [
              str('net.peer.ip', service.host),
              int('net.peer.port', service.port),
              str('net.peer.name', peerName),
              str('peer.service', service.name ?? service.id),
              int('try_count', req.attempts ?? 1),
              ...(upstream ? [int('http.status_code', info.status)] : []),
            ],
            status: upstream ? (info.status >= 500 ? { code: 2, message: 'HTTP ' + info.status } : { code: 0 }) : { code: 2, message: 'no upstream response' },
          });
        }
      },
    };
  },
};
