/** prometheus through the plugin harness: Kong's series, read back from the plugin registry. */
import { describe, expect, it } from 'vitest';
import { pluginRegistry, setUpstreamHealthSource } from '../../observability/plugin-metrics.js';
import { createPluginRunner, runPlugin } from '../harness.js';
import { prometheus } from './index.js';

/** The value of one series of a metric (a histogram's `_count`...) with these labels (0 when absent). */
async function value(name: string, labels: Record<string, string>, metricName = name): Promise<number> {
  const metric = (await pluginRegistry.getMetricsAsJSON()).find((m) => m.name === metricName);
  if (metric === undefined) return 0;
  const wanted = Object.entries(labels);
  const hit = (metric.values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>).find(
    (v) => (v.metricName === undefined || v.metricName === name) && wanted.every(([k, x]) => String(v.labels[k]) === x) && Object.keys(v.labels).length >= wanted.length,
  );
  return hit?.value ?? 0;
}

const route = { service: 'test-service', route: 'test-route', workspace: 'default' };

describe('prometheus (harness)', () => {
  it('status_code_metrics counts kong_http_requests_total by code and source (service for proxied, kong for gateway-made)', async () => {
    const labels200 = { ...route, code: '200', source: 'service', consumer: '' };
    const before = await value('kong_http_requests_total', labels200);
    const runner = createPluginRunner(prometheus, { status_code_metrics: true });
    await runner.run({}, { status: 200 });
    await runner.run({}, { status: 200 });
    expect(await value('kong_http_requests_total', labels200)).toBe(before + 2);

    const answering = { ...prometheus, create: (i: Parameters<typeof prometheus.create>[0], c: Parameters<typeof prometheus.create>[1]) => ({ ...prometheus.create(i, c), access: () => ({ status: 429 }) }) };
    const labels429 = { ...route, code: '429', source: 'kong', consumer: '' };
    const before429 = await value('kong_http_requests_total', labels429);
    await runPlugin(answering, { status_code_metrics: true });
    expect(await value('kong_http_requests_total', labels429)).toBe(before429 + 1);
  });

  it('per_consumer fills the consumer label with the username', async () => {
    const labels = { ...route, code: '201', source: 'service', consumer: 'alice' };
    const before = await value('kong_http_requests_total', labels);
    await runPlugin(prometheus, { status_code_metrics: true, per_consumer: true }, { consumers: [{ id: 'c-1', username: 'alice' }], consumer: 'c-1' }, { status: 201 });
    expect(await value('kong_http_requests_total', labels)).toBe(before + 1);
  });

  it('latency_metrics observes kong_request_latency_ms; bandwidth_metrics counts egress bytes', async () => {
    const countBefore = await value('kong_request_latency_ms_count', route, 'kong_request_latency_ms');
    const egressBefore = await value('kong_bandwidth_bytes', { ...route, direction: 'egress', consumer: '' });
    await runPlugin(prometheus, { latency_metrics: true, bandwidth_metrics: true }, {}, { status: 200, body: 'twelve bytes' });
    expect(await value('kong_request_latency_ms_count', route, 'kong_request_latency_ms')).toBe(countBefore + 1);
    expect(await value('kong_bandwidth_bytes', { ...route, direction: 'egress', consumer: '' })).toBe(egressBefore + 12);
  });

  it('with every metric off (the default) the plugin has no log phase and counts nothing', async () => {
    const labels = { ...route, code: '418', source: 'service', consumer: '' };
    await runPlugin(prometheus, {}, {}, { status: 418 });
    expect(await value('kong_http_requests_total', labels)).toBe(0);
  });

  it('upstream_health_metrics reports each target state as Kong does', async () => {
    setUpstreamHealthSource(() => ({ pool: [{ target: '10.0.0.1:80', healthy: false }] }));
    await runPlugin(prometheus, { upstream_health_metrics: true });
    const base = { upstream: 'pool', target: '10.0.0.1:80', subsystem: 'http' };
    expect(await value('kong_upstream_target_health', { ...base, state: 'unhealthy' })).toBe(1);
    expect(await value('kong_upstream_target_health', { ...base, state: 'healthy' })).toBe(0);
  });

  it('refuses an unknown field and a non-boolean switch', async () => {
    await expect(runPlugin(prometheus, { per_route: true })).rejects.toThrow(/invalid config for prometheus/);
    await expect(runPlugin(prometheus, { status_code_metrics: 'yes' })).rejects.toThrow(/invalid config for prometheus: \/status_code_metrics/);
  });
});
