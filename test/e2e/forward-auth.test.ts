import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A real authorizer: allows `Bearer good-*`, denies the rest with a 403 body, counts calls. */
let calls: Array<{ url: string; headers: http.IncomingHttpHeaders }> = [];
let authz: http.Server;
let authzUrl: string;
let slowUrl: string;
let slow: http.Server;
let up: Upstream;
let gw: GatewayProcess;

beforeAll(async () => {
  authz = http.createServer((req, res) => {
    calls.push({ url: req.url!, headers: req.headers });
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Bearer good-')) {
      res.writeHead(200, { 'x-user-id': auth.slice('Bearer good-'.length), 'x-tenant': 'acme', 'x-not-forwarded': 'secret-internal' });
      return res.end();
    }
    if (auth === '') {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="authz"', 'content-type': 'application/json' });
      return res.end('{"error":"no token"}');
    }
    if (auth === 'Bearer broken') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      return res.end('authorizer bug');
    }
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'forbidden', reason: 'token not allowed' }));
  });
  await new Promise<void>((r) => authz.listen(0, '127.0.0.1', r));
  authzUrl = `http://127.0.0.1:${(authz.address() as AddressInfo).port}/check`;
  // Accepts the connection but never answers: the plugin's timeout must fire.
  slow = http.createServer(() => {});
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`;
  const deadPort = await freePort();
  up = await startUpstream();
  gw = await startGateway(`
_format_version: "3.0"
services:
  - name: api
    url: ${up.url}
    routes:
      - name: cached
        paths: [/cached]
        plugins:
          - name: forward-auth
            config: { url: "${authzUrl}", upstream_headers: [x-user-id, x-tenant], request_headers: [authorization, x-trace] }
      - name: uncached
        paths: [/uncached]
        plugins:
          - name: forward-auth
            config: { url: "${authzUrl}", ttl: 0 }
      - name: dead
        paths: [/dead]
        plugins:
          - name: forward-auth
            config: { url: "http://127.0.0.1:${deadPort}/", timeout: 2000 }
      - name: slow
        paths: [/slow]
        plugins:
          - name: forward-auth
            config: { url: "${slowUrl}", timeout: 300 }
`);
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
  authz?.closeAllConnections();
  authz?.close();
  slow?.closeAllConnections();
  slow?.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { headers });

describe('forward-auth', () => {
  it('allows on 2xx, sends method/URI/chosen headers to the authorizer, copies upstream_headers', async () => {
    calls = [];
    const r = await get('/cached/items?x=1', { authorization: 'Bearer good-alice', 'x-trace': 't1', 'x-other': 'no', 'x-user-id': 'forged' });
    expect(r.status).toBe(200);
    const seen: Json = await r.json();
    expect(seen.headers['x-user-id']).toBe('alice');
    expect(seen.headers['x-tenant']).toBe('acme');
    expect(seen.headers['x-not-forwarded']).toBeUndefined();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('/check');
    expect(calls[0]!.headers).toMatchObject({ 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/cached/items?x=1', authorization: 'Bearer good-alice', 'x-trace': 't1' });
    expect(calls[0]!.headers['x-other']).toBeUndefined();
  });

  it('caches the decision by the cache key headers: a cache hit makes no call', async () => {
    calls = [];
    for (let i = 0; i < 3; i++) {
      const seen: Json = await (await get('/cached/again', { authorization: 'Bearer good-bob' })).json();
      expect(seen.headers['x-user-id']).toBe('bob');
    }
    expect(calls).toHaveLength(1);
    // Another identity is another key.
    expect((await get('/cached', { authorization: 'Bearer good-carol' })).status).toBe(200);
    expect(calls).toHaveLength(2);
    // Denials are cached too.
    expect((await get('/cached', { authorization: 'Bearer bad' })).status).toBe(403);
    expect((await get('/cached', { authorization: 'Bearer bad' })).status).toBe(403);
    expect(calls).toHaveLength(3);
  });

  it('ttl 0 asks the authorizer every time', async () => {
    calls = [];
    await get('/uncached', { authorization: 'Bearer good-dave' });
    await get('/uncached', { authorization: 'Bearer good-dave' });
    expect(calls).toHaveLength(2);
  });

  it('returns a denial to the client: status, body and WWW-Authenticate; nothing reaches the upstream', async () => {
    const before = up.seen.length;
    const denied = await get('/uncached', { authorization: 'Bearer nope' });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({ error: 'forbidden', reason: 'token not allowed' });
    const anon = await get('/uncached');
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toBe('Bearer realm="authz"');
    expect(await anon.json()).toEqual({ error: 'no token' });
    const broken = await get('/uncached', { authorization: 'Bearer broken' });
    expect(broken.status).toBe(500);
    expect(await broken.text()).toBe('authorizer bug');
    expect(up.seen.length).toBe(before);
  });

  it('fails closed: unreachable authorizer → 502, one that does not answer in time → 503', async () => {
    const before = up.seen.length;
    const dead = await get('/dead', { authorization: 'Bearer good-x' });
    expect(dead.status).toBe(502);
    expect(await dead.json()).toMatchObject({ message: 'An invalid response was received from the authorizer' });
    const slowRes = await get('/slow', { authorization: 'Bearer good-x' });
    expect(slowRes.status).toBe(503);
    expect(await slowRes.json()).toMatchObject({ message: 'The authorizer did not answer in time' });
    expect(up.seen.length).toBe(before);
  });

  it('never logs the credential', () => {
    const text = gw.lines.join('\n');
    expect(text).not.toContain('good-alice');
    expect(text).not.toContain('good-bob');
  });
});
