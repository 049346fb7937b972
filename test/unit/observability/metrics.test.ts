import { describe, expect, it } from 'vitest';
import client from 'prom-client';
import { WorkerMetrics } from '../../../src/observability/metrics.js';
import type { RouteRuntime } from '../../../src/snapshot/types.js';

const rt = { label: 'orders', service: { service: { name: 'orders-svc', id: 'x' } } } as unknown as RouteRuntime;

describe('WorkerMetrics', () => {
  it('exports counters and cumulative histogram buckets in Prometheus text', async () => {
    const m = new WorkerMetrics(() => 2);
    m.record(rt, 200, 3, 1.5, 100);
    m.record(rt, 200, 70, -1, 10);
    m.record(rt, 502, 1, 0.5, 0);
    m.record(null, 404, 0.2, -1, 80);
    const text = await m.registry.metrics();
    expect(text).toContain('sluice_http_requests_total{route="orders",service="orders-svc",code="200"} 2');
    expect(text).toContain('sluice_http_requests_total{route="orders",service="orders-svc",code="502"} 1');
    expect(text).toContain('sluice_http_requests_total{route="",service="",code="404"} 1');
    expect(text).toContain('sluice_request_latency_ms_bucket{route="orders",service="orders-svc",le="1"} 1');
    expect(text).toContain('sluice_request_latency_ms_bucket{route="orders",service="orders-svc",le="5"} 2');
    expect(text).toContain('sluice_request_latency_ms_bucket{route="orders",service="orders-svc",le="100"} 3');
    expect(text).toContain('sluice_request_latency_ms_bucket{route="orders",service="orders-svc",le="+Inf"} 3');
    expect(text).toContain('sluice_request_latency_ms_sum{route="orders",service="orders-svc"} 74');
    expect(text).toContain('sluice_request_latency_ms_count{route="orders",service="orders-svc"} 3');
    expect(text).toContain('sluice_upstream_latency_ms_count{route="orders",service="orders-svc"} 2');
    expect(text).toContain('sluice_response_bytes_total 190');
    expect(text).toContain('sluice_requests_in_flight 2');
  });

  it('sums the same series across workers (the admin API aggregation)', async () => {
    const a = new WorkerMetrics(() => 1);
    const b = new WorkerMetrics(() => 1);
    a.record(rt, 200, 3, 1, 5);
    b.record(rt, 200, 30, 1, 5);
    const merged = client.AggregatorRegistry.aggregate([await a.registry.getMetricsAsJSON(), await b.registry.getMetricsAsJSON()]);
    const text = await merged.metrics();
    expect(text).toContain('sluice_http_requests_total{route="orders",service="orders-svc",code="200"} 2');
    expect(text).toContain('sluice_request_latency_ms_bucket{route="orders",service="orders-svc",le="5"} 1');
    expect(text).toContain('sluice_request_latency_ms_bucket{route="orders",service="orders-svc",le="50"} 2');
    expect(text).toContain('sluice_response_bytes_total 10');
  });
});
