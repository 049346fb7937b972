/**
 * rate-limiting (policy local) through the plugin harness: createPluginRunner keeps one instance,
 * and its shared-memory counters, across requests. The day window is used so that a window
 * boundary can only fall between two requests at midnight UTC.
 */
import { describe, expect, it } from 'vitest';
import { createPluginRunner, runPlugin } from '../harness.js';
import { countText, rateLimiting, redisSettings } from './index.js';

describe('rate-limiting (harness)', () => {
  it('local policy: allows `day` requests, then 429 with Kong message, headers and Retry-After', async () => {
    const runner = createPluginRunner(rateLimiting, { day: 3 });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await runner.run({ clientIp: '10.0.0.1' });
      expect(r.answered, `request ${i + 1}`).toBeNull();
      expect(r.response.headers['x-ratelimit-limit-day']).toBe('3');
      expect(r.response.headers['ratelimit-limit']).toBe('3');
      remaining.push(r.response.headers['x-ratelimit-remaining-day']!);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const over = await runner.run({ clientIp: '10.0.0.1' });
    expect(over.response.status).toBe(429);
    expect(JSON.parse(over.response.body.toString()).message).toBe('API rate limit exceeded');
    expect(over.response.headers['x-ratelimit-remaining-day']).toBe('0');
    expect(Number(over.response.headers['retry-after'])).toBeGreaterThan(0);
    expect(over.response.headers['retry-after']).toBe(over.response.headers['ratelimit-reset']);
  });

  it('counts each client address apart (no consumer: limit_by consumer falls back to the address)', async () => {
    const runner = createPluginRunner(rateLimiting, { day: 1 });
    expect((await runner.run({ clientIp: '10.0.0.1' })).answered).toBeNull();
    expect((await runner.run({ clientIp: '10.0.0.1' })).response.status).toBe(429);
    expect((await runner.run({ clientIp: '10.0.0.2' })).answered).toBeNull();
  });

  it('limit_by consumer: one count per authenticated consumer, whatever its address', async () => {
    const runner = createPluginRunner(rateLimiting, { day: 1, limit_by: 'consumer' }, { consumers: [{ id: 'c-1' }, { id: 'c-2' }] });
    expect((await runner.run({ consumer: 'c-1', clientIp: '10.0.0.1' })).answered).toBeNull();
    expect((await runner.run({ consumer: 'c-1', clientIp: '10.0.0.2' })).response.status).toBe(429);
    expect((await runner.run({ consumer: 'c-2', clientIp: '10.0.0.1' })).answered).toBeNull();
  });

  it('limit_by header counts by the header value', async () => {
    const runner = createPluginRunner(rateLimiting, { day: 1, limit_by: 'header', header_name: 'X-Tenant' });
    expect((await runner.run({ headers: { 'x-tenant': 'a' } })).answered).toBeNull();
    expect((await runner.run({ headers: { 'x-tenant': 'a' } })).response.status).toBe(429);
    expect((await runner.run({ headers: { 'x-tenant': 'b' } })).answered).toBeNull();
  });

  it('several windows: the most restrictive one is reported in RateLimit-*', async () => {
    const r = await runPlugin(rateLimiting, { day: 5, year: 100 });
    expect(r.response.headers['x-ratelimit-remaining-day']).toBe('4');
    expect(r.response.headers['x-ratelimit-remaining-year']).toBe('99');
    expect(r.response.headers['ratelimit-remaining']).toBe('4');
  });

  it('hide_client_headers, error_code and error_message', async () => {
    const runner = createPluginRunner(rateLimiting, { day: 1, hide_client_headers: true, error_code: 503, error_message: 'slow down' });
    const ok = await runner.run();
    expect(Object.keys(ok.response.headers).filter((h) => h.includes('ratelimit'))).toEqual([]);
    const over = await runner.run();
    expect(over.response.status).toBe(503);
    expect(JSON.parse(over.response.body.toString()).message).toBe('slow down');
  });

  it('refuses a config without a limit, a smaller limit for a longer window, and header without header_name', async () => {
    await expect(runPlugin(rateLimiting, {})).rejects.toThrow(/invalid config for rate-limiting: +must set at least one limit/);
    await expect(runPlugin(rateLimiting, { minute: 10, hour: 5 })).rejects.toThrow(/hour the limit for hour \(5\) cannot be lower than the limit for minute \(10\)/);
    await expect(runPlugin(rateLimiting, { minute: 1, limit_by: 'header' })).rejects.toThrow(/header_name is required when limit_by is header/);
    await expect(runPlugin(rateLimiting, { minute: 1, policy: 'redis' })).rejects.toThrow(/redis\.host is required when policy is redis/);
    await expect(runPlugin(rateLimiting, { minute: 1, policy: 'cluster' })).rejects.toThrow(/invalid config for rate-limiting: \/policy/);
  });

  it('accepts the redis_* fields of Kong before 3.8 over the redis object', () => {
    const s = redisSettings({ redis: { host: 'a', port: 6379, timeout: 2000, username: null, password: null, database: 0, ssl: false, ssl_verify: false, server_name: null }, redis_host: 'b', redis_port: 6380 } as never);
    expect(s).toMatchObject({ host: 'b', port: 6380, timeout: 2000 });
  });

  it('formats large counts as String does', () => {
    for (const n of [0, 7, 999_999_999, 1_000_000_000, 12_345_678_901, 4_000_000_000_000]) expect(countText(n)).toBe(String(n));
  });
});
