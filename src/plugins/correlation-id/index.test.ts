/** correlation-id through the plugin harness (src/plugins/harness.ts). */
import { describe, expect, it } from 'vitest';
import { createPluginRunner, runPlugin } from '../harness.js';
import { correlationId } from './index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('correlation-id (harness)', () => {
  it('generates an id (uuid#counter by default) in X-Request-Id upstream; the counter grows per request', async () => {
    const runner = createPluginRunner(correlationId, {});
    const a = (await runner.run()).upstream.headers['x-request-id']!;
    const b = (await runner.run()).upstream.headers['x-request-id']!;
    const [ua, na] = a.split('#');
    const [ub, nb] = b.split('#');
    expect(ua).toMatch(UUID);
    expect(ub).toBe(ua);
    expect(Number(nb)).toBe(Number(na) + 1);
  });

  it('keeps a non-empty id the client sent, and replaces an empty one', async () => {
    const kept = await runPlugin(correlationId, {}, { headers: { 'x-request-id': 'client-id' } });
    expect(kept.upstream.headers['x-request-id']).toBe('client-id');
    const empty = await runPlugin(correlationId, { generator: 'uuid' }, { headers: { 'x-request-id': '' } });
    expect(empty.upstream.headers['x-request-id']).toMatch(UUID);
  });

  it('echo_downstream puts the same id on the response; without it the response has none', async () => {
    const echoed = await runPlugin(correlationId, { header_name: 'X-Trace', echo_downstream: true });
    const id = echoed.upstream.headers['x-trace'];
    expect(id).toBeDefined();
    expect(echoed.response.headers['x-trace']).toBe(id);
    const client = await runPlugin(correlationId, { header_name: 'X-Trace', echo_downstream: true }, { headers: { 'x-trace': 'mine' } });
    expect(client.response.headers['x-trace']).toBe('mine');
    const silent = await runPlugin(correlationId, {});
    expect(silent.response.headers['x-request-id']).toBeUndefined();
  });

  it('tracker ids start with the client address', async () => {
    const r = await runPlugin(correlationId, { generator: 'tracker' }, { clientIp: '192.0.2.5' });
    expect(r.upstream.headers['x-request-id']).toMatch(/^192\.0\.2\.5-\d+-\d+-\d+-\d+\.\d{3}$/);
  });

  it('refuses an unknown generator', async () => {
    await expect(runPlugin(correlationId, { generator: 'ulid' })).rejects.toThrow(/invalid config for correlation-id: \/generator/);
  });
});
