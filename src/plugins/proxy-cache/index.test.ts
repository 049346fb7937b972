/**
 * proxy-cache through the plugin harness: createPluginRunner keeps one instance (and its cache,
 * kept in ctx.state) over several requests, so a second request can be a hit.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPluginRunner, runPlugin } from '../harness.js';
import { proxyCache } from './index.js';

const json = (body: string, extra: Record<string, string> = {}) => ({ status: 200, headers: { 'content-type': 'application/json', ...extra }, body });

describe('proxy-cache (harness)', () => {
  it('a miss is stored; the next request is answered from the cache, not by the upstream', async () => {
    const runner = createPluginRunner(proxyCache, {});
    const first = await runner.run({ path: '/items?b=2&a=1' }, json('{"n":1}', { 'x-upstream': 'yes' }));
    expect(first.answered).toBeNull();
    expect(first.response.headers['x-cache-status']).toBe('Miss');
    const key = first.response.headers['x-cache-key']!;
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    // Same query, other order: the same key (parameters are sorted).
    const second = await runner.run({ path: '/items?a=1&b=2' }, json('{"n":2}'));
    expect(second.answered).not.toBeNull();
    expect(second.response.status).toBe(200);
    expect(second.response.body.toString()).toBe('{"n":1}');
    expect(second.response.headers['x-cache-status']).toBe('Hit');
    expect(second.response.headers['x-cache-key']).toBe(key);
    expect(second.response.headers['x-upstream']).toBe('yes');
    expect(second.response.headers.age).toMatch(/^\d+$/);
  });

  it('the cache key is the MD5 of method, route, consumer, path and sorted query', async () => {
    const r = await runPlugin(proxyCache, {}, { path: '/k?z=1&a=2' }, json('{}'));
    const expected = createHash('md5').update('GET\nroute-1\n\n/k\na=2&z=1').digest('hex');
    expect(r.response.headers['x-cache-key']).toBe(expected);
  });

  it('a method not cached bypasses; a content type not cached is not stored', async () => {
    const runner = createPluginRunner(proxyCache, {});
    const post = await runner.run({ method: 'POST', path: '/p' }, json('{}'));
    expect(post.response.headers['x-cache-status']).toBe('Bypass');
    const html = await runner.run({ path: '/h' }, { headers: { 'content-type': 'text/html' }, body: '<p>' });
    expect(html.response.headers['x-cache-status']).toBe('Bypass');
    const again = await runner.run({ path: '/h' }, { headers: { 'content-type': 'text/html' }, body: '<p>2' });
    expect(again.answered).toBeNull();
    expect(again.response.body.toString()).toBe('<p>2');
  });

  it('a status not in response_code is not stored', async () => {
    const runner = createPluginRunner(proxyCache, { response_code: [200] });
    await runner.run({ path: '/e' }, { status: 500, headers: { 'content-type': 'application/json' }, body: '{"e":1}' });
    const r = await runner.run({ path: '/e' }, json('{"ok":true}'));
    expect(r.answered).toBeNull();
    expect(r.response.body.toString()).toBe('{"ok":true}');
  });

  it('cache_control: a client no-cache forces a Refresh; an upstream private answer is not stored', async () => {
    const runner = createPluginRunner(proxyCache, { cache_control: true });
    await runner.run({ path: '/c' }, json('{"v":1}'));
    const refreshed = await runner.run({ path: '/c', headers: { 'cache-control': 'no-cache' } }, json('{"v":2}'));
    expect(refreshed.answered).toBeNull();
    expect(refreshed.response.headers['x-cache-status']).toBe('Refresh');
    const hit = await runner.run({ path: '/c' }, json('{"v":3}'));
    expect(hit.response.body.toString()).toBe('{"v":2}');
    await runner.run({ path: '/private' }, json('{"p":1}', { 'cache-control': 'private' }));
    const miss = await runner.run({ path: '/private' }, json('{"p":2}'));
    expect(miss.answered).toBeNull();
  });

  it('vary_headers makes the header part of the key', async () => {
    const runner = createPluginRunner(proxyCache, { vary_headers: ['Accept-Language'] });
    await runner.run({ path: '/v', headers: { 'accept-language': 'en' } }, json('"en"'));
    const fr = await runner.run({ path: '/v', headers: { 'accept-language': 'fr' } }, json('"fr"'));
    expect(fr.answered).toBeNull();
    const en = await runner.run({ path: '/v', headers: { 'accept-language': 'en' } }, json('"x"'));
    expect(en.response.body.toString()).toBe('"en"');
  });

  it('response_headers can hide X-Cache-Status and X-Cache-Key', async () => {
    const r = await runPlugin(proxyCache, { response_headers: { 'X-Cache-Status': false, 'X-Cache-Key': false } }, { path: '/' }, json('{}'));
    expect(r.response.headers['x-cache-status']).toBeUndefined();
    expect(r.response.headers['x-cache-key']).toBeUndefined();
  });

  it('refuses a strategy other than memory and a non-integer ttl', async () => {
    await expect(runPlugin(proxyCache, { strategy: 'redis' })).rejects.toThrow(/invalid config for proxy-cache: \/strategy/);
    await expect(runPlugin(proxyCache, { cache_ttl: 'soon' })).rejects.toThrow(/invalid config for proxy-cache: \/cache_ttl/);
  });
});
