/**
 * throttling through the plugin harness: one instance over several requests (createPluginRunner).
 * The rate is one token per 1000 s, so no token comes back while the test runs.
 */
import { describe, expect, it } from 'vitest';
import { createPluginRunner, runPlugin } from '../harness.js';
import { throttling } from './index.js';

describe('throttling (harness)', () => {
  it('allows a burst, then 429 Too Many Requests with a Retry-After of the time to the next token', async () => {
    const runner = createPluginRunner(throttling, { rate: 0.001, burst: 2 });
    expect((await runner.run()).answered).toBeNull();
    expect((await runner.run()).answered).toBeNull();
    const r = await runner.run();
    expect(r.response.status).toBe(429);
    expect(JSON.parse(r.response.body.toString()).message).toBe('Too Many Requests');
    const retry = Number(r.response.headers['retry-after']);
    expect(retry).toBeGreaterThan(900);
    expect(retry).toBeLessThanOrEqual(1000);
  });

  it('limit_by route (default) shares the bucket between clients; limit_by consumer gives each its own', async () => {
    const byRoute = createPluginRunner(throttling, { rate: 0.001, burst: 1 });
    expect((await byRoute.run({ clientIp: '10.0.0.1' })).answered).toBeNull();
    expect((await byRoute.run({ clientIp: '10.0.0.2' })).response.status).toBe(429);
    const byConsumer = createPluginRunner(throttling, { rate: 0.001, burst: 1, limit_by: 'consumer' }, { consumers: [{ id: 'a' }, { id: 'b' }] });
    expect((await byConsumer.run({ consumer: 'a' })).answered).toBeNull();
    expect((await byConsumer.run({ consumer: 'b' })).answered).toBeNull();
    expect((await byConsumer.run({ consumer: 'a' })).response.status).toBe(429);
    // No consumer: the client address is the key.
    expect((await byConsumer.run({ clientIp: '10.0.0.9' })).answered).toBeNull();
  });

  it('rate 0 or burst 0 refuses everything', async () => {
    expect((await runPlugin(throttling, { rate: 0, burst: 5 })).response.status).toBe(429);
    expect((await runPlugin(throttling, { rate: 10, burst: 0 })).response.status).toBe(429);
  });

  it('requires rate and burst, and refuses a negative rate', async () => {
    await expect(runPlugin(throttling, { rate: 1 })).rejects.toThrow(/invalid config for throttling: .*burst/);
    await expect(runPlugin(throttling, { rate: -1, burst: 1 })).rejects.toThrow(/invalid config for throttling: \/rate/);
  });
});
