/**
 * proxy-cache through the real gateway (built CLI) with a real upstream that counts its requests.
 */
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let up: Upstream;
let gw: GatewayProcess;
const hits = new Map<string, number>();

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url!, 'http://x');
  const path = url.pathname;
  hits.set(path, (hits.get(path) ?? 0) + 1);
  const n = hits.get(path)!;
  const send = (status: number, headers: Record<string, string>, body: string | Buffer, delay = 0): void => {
    setTimeout(() => {
      res.writeHead(status, headers);
      res.end(body);
    }, delay);
  };
  if (path.endsWith('/slow')) return send(200, { 'content-type': 'application/json' }, JSON.stringify({ n }), 300);
  if (path.endsWith('/text')) return send(200, { 'content-type': 'text/html' }, `html ${n}`);
  if (path.endsWith('/status500')) return send(500, { 'content-type': 'application/json' }, JSON.stringify({ n }));
  if (path.endsWith('/missing')) return send(404, { 'content-type': 'text/plain' }, `not found ${n}`);
  if (path.endsWith('/nostore')) return send(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }, JSON.stringify({ n }));
  if (path.endsWith('/private')) return send(200, { 'content-type': 'application/json', 'cache-control': 'private, max-age=60' }, JSON.stringify({ n }));
  if (path.endsWith('/maxage1')) return send(200, { 'content-type': 'application/json', 'cache-control': 'max-age=1' }, JSON.stringify({ n }));
  if (path.endsWith('/big')) return send(200, { 'content-type': 'application/json' }, JSON.stringify({ n, pad: 'x'.repeat(1024 * 1024 + 10) }));
  if (path.endsWith('/charset')) return send(200, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ n }));
  return send(200, { 'content-type': 'application/json', 'x-up': 'u' }, JSON.stringify({ n, q: url.search, h: req.headers['x-variant'] ?? null }));
}

const yaml = (ttl = 300): string => `
_format_version: "3.0"
services:
  - name: api
    url: ${up.url}
    routes:
      - { name: c-default, paths: [/c], plugins: [{ name: proxy-cache, config: { strategy: memory, cache_ttl: ${ttl} } }] }
      - name: c-cc
        paths: [/cc]
        plugins: [{ name: proxy-cache, config: { strategy: memory, cache_control: true } }]
      - name: c-vary
        paths: [/vary]
        plugins:
          - { name: proxy-cache, config: { strategy: memory, vary_query_params: [page], vary_headers: [X-Variant], memory: { dictionary_name: kong_db_cache } } }
      - name: c-ttl
        paths: [/ttl]
        plugins: [{ name: proxy-cache, config: { strategy: memory, cache_ttl: 1, storage_ttl: 60 } }]
      - name: c-quiet
        paths: [/quiet]
        plugins: [{ name: proxy-cache, config: { strategy: memory, response_headers: { age: false, X-Cache-Key: false } } }]
      - name: c-post
        paths: [/post]
        plugins: [{ name: proxy-cache, config: { strategy: memory, request_method: [POST] } }]
      - name: c-case
        paths: [/case]
        plugins: [{ name: proxy-cache, config: { strategy: memory, ignore_uri_case: true } }]
`;

beforeAll(async () => {
  up = await startUpstream(handler, { rawBody: true });
  gw = await startGateway(yaml());
}, 60000);

afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

const get = async (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; h: Headers; body: string }> => {
  const r = await fetch(gw.url + path, { headers, method });
  return { status: r.status, h: r.headers, body: await r.text() };
};

describe('proxy-cache', () => {
  it('misses, then hits without calling the upstream, with Age and X-Cache-Key', async () => {
    const a = await get('/c/one');
    expect(a.h.get('x-cache-status')).toBe('Miss');
    const key = a.h.get('x-cache-key');
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    const b = await get('/c/one');
    expect(b.status).toBe(200);
    expect(b.h.get('x-cache-status')).toBe('Hit');
    expect(b.h.get('x-cache-key')).toBe(key);
    expect(b.h.get('age')).toMatch(/^\d+$/);
    expect(b.h.get('x-up')).toBe('u');
    expect(b.h.get('content-type')).toBe('application/json');
    expect(b.body).toBe(a.body);
    expect(Number(b.h.get('content-length'))).toBe(Buffer.byteLength(b.body));
    expect(hits.get('/one')).toBe(1);
  });

  it('answers HEAD from the GET entry (no body, same length)', async () => {
    await get('/c/head');
    const h = await get('/c/head', {}, 'HEAD');
    expect(h.h.get('x-cache-status')).toBe('Hit');
    expect(h.body).toBe('');
    expect(Number(h.h.get('content-length'))).toBeGreaterThan(0);
    expect(hits.get('/head')).toBe(1);
  });

  it('keys on the query string (all parameters, order-insensitive) and the route', async () => {
    await get('/c/q?a=1&b=2');
    expect((await get('/c/q?b=2&a=1')).h.get('x-cache-status')).toBe('Hit');
    expect((await get('/c/q?a=2')).h.get('x-cache-status')).toBe('Miss');
    expect(hits.get('/q')).toBe(2);
  });

  it('vary_query_params and vary_headers', async () => {
    await get('/vary/v?page=1&other=1', { 'x-variant': 'a' });
    expect((await get('/vary/v?page=1&other=2', { 'x-variant': 'a' })).h.get('x-cache-status')).toBe('Hit');
    expect((await get('/vary/v?page=2', { 'x-variant': 'a' })).h.get('x-cache-status')).toBe('Miss');
    expect((await get('/vary/v?page=1', { 'x-variant': 'b' })).h.get('x-cache-status')).toBe('Miss');
  });

  it('bypasses methods, status codes and content types it does not cache', async () => {
    expect((await get('/c/m', {}, 'POST')).h.get('x-cache-status')).toBe('Bypass');
    const t = await get('/c/text');
    expect(t.h.get('x-cache-status')).toBe('Bypass');
    expect((await get('/c/text')).h.get('x-cache-status')).toBe('Bypass');
    expect(hits.get('/text')).toBe(2);
    expect((await get('/c/status500')).h.get('x-cache-status')).toBe('Bypass');
    await get('/c/missing');
    expect((await get('/c/missing')).h.get('x-cache-status')).toBe('Hit'); // 404 text/plain is cached by default
    expect((await get('/c/charset')).h.get('x-cache-status')).toBe('Miss');
    expect((await get('/c/charset')).h.get('x-cache-status')).toBe('Hit'); // application/json matches ...; charset=utf-8
  });

  it('request_method POST, ignore_uri_case', async () => {
    await get('/post/p', {}, 'POST');
    expect((await get('/post/p', {}, 'POST')).h.get('x-cache-status')).toBe('Hit');
    await get('/case/ABC');
    expect((await get('/case/abc')).h.get('x-cache-status')).toBe('Hit');
  });

  it('streams responses over the 1 MiB item cap through, uncached', async () => {
    const a = await get('/c/big');
    expect(a.body.length).toBeGreaterThan(1024 * 1024);
    const b = await get('/c/big');
    expect(b.h.get('x-cache-status')).not.toBe('Hit');
    expect(hits.get('/big')).toBe(2);
  });

  it('makes ONE upstream request for concurrent misses on a key', async () => {
    const all = await Promise.all(Array.from({ length: 10 }, () => get('/c/slow')));
    expect(hits.get('/slow')).toBe(1);
    const bodies = new Set(all.map((r) => r.body));
    expect(bodies.size).toBe(1);
    expect(all.filter((r) => r.h.get('x-cache-status') === 'Miss')).toHaveLength(1);
    expect(all.filter((r) => r.h.get('x-cache-status') === 'Hit')).toHaveLength(9);
  });

  it('cache_control: honours no-store, private and max-age on responses', async () => {
    await get('/cc/nostore');
    expect((await get('/cc/nostore')).h.get('x-cache-status')).toBe('Bypass');
    await get('/cc/private');
    expect((await get('/cc/private')).h.get('x-cache-status')).toBe('Bypass');
    await get('/cc/maxage1');
    expect((await get('/cc/maxage1')).h.get('x-cache-status')).toBe('Hit');
    await new Promise((r) => setTimeout(r, 1100));
    const stale = await get('/cc/maxage1');
    expect(stale.h.get('x-cache-status')).toBe('Miss'); // gone from the store (no storage_ttl)
  });

  it('cache_control: a client no-cache / max-age=0 refreshes, no-store bypasses', async () => {
    const a = await get('/cc/r');
    const b = await get('/cc/r', { 'cache-control': 'no-cache' });
    expect(b.h.get('x-cache-status')).toBe('Refresh');
    expect(b.body).not.toBe(a.body);
    const c = await get('/cc/r');
    expect(c.h.get('x-cache-status')).toBe('Hit');
    expect(c.body).toBe(b.body);
    expect((await get('/cc/r', { 'cache-control': 'max-age=0' })).h.get('x-cache-status')).toBe('Refresh');
    expect((await get('/cc/r', { 'cache-control': 'no-store' })).h.get('x-cache-status')).toBe('Bypass');
    // Without cache_control the client's header is ignored.
    await get('/c/ignore');
    expect((await get('/c/ignore', { 'cache-control': 'no-cache' })).h.get('x-cache-status')).toBe('Hit');
  });

  it('storage_ttl keeps stale entries: Refresh after cache_ttl', async () => {
    await get('/ttl/s');
    expect((await get('/ttl/s')).h.get('x-cache-status')).toBe('Hit');
    await new Promise((r) => setTimeout(r, 1100));
    expect((await get('/ttl/s')).h.get('x-cache-status')).toBe('Refresh');
    expect((await get('/ttl/s')).h.get('x-cache-status')).toBe('Hit');
  });

  it('response_headers turns diagnostic headers off', async () => {
    await get('/quiet/x');
    const b = await get('/quiet/x');
    expect(b.h.get('x-cache-status')).toBe('Hit');
    expect(b.h.get('x-cache-key')).toBeNull();
    expect(b.h.get('age')).toBeNull();
  });

  it('survives a reload that does not change the plugin, and starts empty when it does', async () => {
    await get('/c/reload');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(gw.configPath, yaml() + '      - { name: extra, paths: [/extra] }\n');
    await fetch(gw.admin + '/reload', { method: 'POST' });
    await expect.poll(async () => (await fetch(gw.url + '/extra/x')).status, { timeout: 10000 }).toBe(200);
    expect((await get('/c/reload')).h.get('x-cache-status')).toBe('Hit');
    writeFileSync(gw.configPath, yaml(301));
    await fetch(gw.admin + '/reload', { method: 'POST' });
    await expect.poll(async () => (await fetch(gw.url + '/extra/x')).status, { timeout: 10000 }).toBe(404);
    expect((await get('/c/reload')).h.get('x-cache-status')).toBe('Miss');
  });
});
