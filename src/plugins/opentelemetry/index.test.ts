/** opentelemetry through the plugin harness: trace context upstream, spans exported to a real OTLP/HTTP receiver on 127.0.0.1. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPluginRunner, runPlugin } from '../harness.js';
import { opentelemetry } from './index.js';
import { parseW3c } from './trace-context.js';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  status: { code: number };
}
interface Export {
  headers: IncomingHttpHeaders;
  resource: Array<{ key: string; value: Record<string, unknown> }>;
  spans: Span[];
}

let server: Server | null = null;
afterEach(async () => {
  if (server === null) return;
  server.closeAllConnections();
  await new Promise((r) => server!.close(r));
  server = null;
});

/** An OTLP receiver; `spans(n)` resolves once n spans arrived (over however many requests). */
async function collector(): Promise<{ url: string; spans: (n: number) => Promise<Export> }> {
  const got: Span[] = [];
  let last: Omit<Export, 'spans'> | null = null;
  let waiting: { n: number; resolve: (e: Export) => void } | null = null;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      const rs = body.resourceSpans[0];
      last = { headers: req.headers, resource: rs.resource.attributes };
      got.push(...(rs.scopeSpans[0].spans as Span[]));
      res.end();
      if (waiting !== null && got.length >= waiting.n) waiting.resolve({ ...last, spans: got.slice() });
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    spans: (n) => (got.length >= n && last !== null ? Promise.resolve({ ...last, spans: got.slice() }) : new Promise((resolve) => (waiting = { n, resolve }))),
  };
}

const attr = (s: Span, key: string): unknown => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : Object.values(v)[0];
};
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('opentelemetry (harness)', () => {
  it('continues the caller W3C trace upstream and exports the kong and kong.balancer spans', async () => {
    const c = await collector();
    const r = await runPlugin(
      opentelemetry,
      { traces_endpoint: c.url, headers: { 'X-Auth': 'k' }, resource_attributes: { 'deployment.environment': 'test' }, http_response_header_for_traceid: 'x-trace-id' },
      { method: 'POST', path: '/pay?x=1', headers: { host: 'gw.test', traceparent: `00-${TRACE}-${PARENT}-01` } },
      { status: 502 },
    );
    const sent = parseW3c(r.upstream.headers.traceparent, undefined);
    expect(sent?.traceId).toBe(TRACE);
    expect(sent?.sampled).toBe(true);
    expect(r.response.headers['x-trace-id']).toBe(TRACE);

    const e = await c.spans(2);
    expect(e.headers['x-auth']).toBe('k');
    expect(e.resource).toEqual(expect.arrayContaining([{ key: 'service.name', value: { stringValue: 'sluice' } }, { key: 'deployment.environment', value: { stringValue: 'test' } }]));
    const root = e.spans.find((s) => s.name === 'kong')!;
    const balancer = e.spans.find((s) => s.name === 'kong.balancer')!;
    expect(root.traceId).toBe(TRACE);
    expect(root.parentSpanId).toBe(PARENT);
    expect(root.kind).toBe(2);
    expect(root.status.code).toBe(2); // a 5xx is an error
    expect(attr(root, 'http.method')).toBe('POST');
    expect(attr(root, 'http.url')).toBe('http://gw.test/pay?x=1');
    expect(attr(root, 'http.status_code')).toBe('502');
    expect(balancer.parentSpanId).toBe(root.spanId);
    // The upstream got the balancer span as its parent.
    expect(sent?.spanId).toBe(balancer.spanId);
    expect(attr(balancer, 'net.peer.name')).toBe('upstream.test');
  });

  it('starts a new trace without incoming context, and honours a caller that did not sample', async () => {
    const c = await collector();
    const runner = createPluginRunner(opentelemetry, { traces_endpoint: c.url });
    const unsampled = await runner.run({ path: '/skip', headers: { traceparent: `00-${TRACE}-${PARENT}-00` } });
    expect(parseW3c(unsampled.upstream.headers.traceparent, undefined)?.sampled).toBe(false);
    const fresh = await runner.run({ path: '/new' });
    const ctx = parseW3c(fresh.upstream.headers.traceparent, undefined)!;
    expect(ctx.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(ctx.traceId).not.toBe(TRACE);
    // Only the sampled request's spans are exported.
    const e = await c.spans(2);
    expect(new Set(e.spans.map((s) => s.traceId))).toEqual(new Set([ctx.traceId]));
    expect(e.spans.find((s) => s.name === 'kong')!.parentSpanId).toBeUndefined();
  });

  it('header_type b3 sends B3 headers; sampling_rate 0 samples nothing', async () => {
    const c = await collector();
    const r = await runPlugin(opentelemetry, { traces_endpoint: c.url, header_type: 'b3', sampling_rate: 0 }, { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } });
    expect(r.upstream.headers['x-b3-traceid']).toBe(TRACE);
    expect(r.upstream.headers['x-b3-sampled']).toBe('0');
  });

  it('requires an http(s) traces_endpoint (or endpoint) and a known header_type', async () => {
    await expect(runPlugin(opentelemetry, {})).rejects.toThrow(/invalid config for opentelemetry: traces_endpoint traces_endpoint \(or its older name endpoint\) is required/);
    await expect(runPlugin(opentelemetry, { endpoint: 'grpc://127.0.0.1:4317' })).rejects.toThrow(/invalid config for opentelemetry: endpoint must be an http/);
    await expect(runPlugin(opentelemetry, { traces_endpoint: 'http://127.0.0.1/', header_type: 'zipkin' })).rejects.toThrow(/invalid config for opentelemetry: \/header_type/);
  });
});
