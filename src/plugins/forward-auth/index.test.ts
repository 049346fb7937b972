/** forward-auth through the plugin harness, against a real authorizer on 127.0.0.1. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPluginRunner, runPlugin } from '../harness.js';
import { forwardAuth } from './index.js';

let server: Server;
let url = '';
let asked: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  // Allows "Bearer good" (telling the upstream who it is), refuses anything else with a challenge.
  server = createServer((req, res) => {
    asked.push(req.headers);
    if (req.headers.authorization === 'Bearer good') {
      res.writeHead(200, { 'x-user': 'alice', 'x-roles': 'admin' });
      res.end();
    } else {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="authz"', 'content-type': 'text/plain', 'x-internal': 'secret' });
      res.end('denied by authorizer');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/check`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  asked = [];
});

describe('forward-auth (harness)', () => {
  it('asks the authorizer with the X-Forwarded-* headers and the listed request headers; a 2xx lets the request through with upstream_headers', async () => {
    const r = await runPlugin(
      forwardAuth,
      { url, upstream_headers: ['X-User', 'X-Missing'] },
      { method: 'PATCH', path: '/docs/1?v=2', clientIp: '192.0.2.1', headers: { host: 'api.test', authorization: 'Bearer good', cookie: 'c=1', 'x-missing': 'client-sent' } },
    );
    expect(r.answered).toBeNull();
    expect(r.upstream.headers['x-user']).toBe('alice');
    // An upstream header the authorizer did not send is removed (the client cannot set it).
    expect(r.upstream.headers['x-missing']).toBeUndefined();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ 'x-forwarded-method': 'PATCH', 'x-forwarded-uri': '/docs/1?v=2', 'x-forwarded-for': '192.0.2.1', 'x-forwarded-host': 'api.test', authorization: 'Bearer good' });
    expect(asked[0]!.cookie).toBeUndefined(); // only request_headers (default: authorization) are sent
  });

  it("a denial is the authorizer's answer: its status, body and only its challenge / content-type headers", async () => {
    const r = await runPlugin(forwardAuth, { url }, { headers: { authorization: 'Bearer bad' } });
    expect(r.response.status).toBe(401);
    expect(r.response.body.toString()).toBe('denied by authorizer');
    expect(r.response.headers['www-authenticate']).toBe('Bearer realm="authz"');
    expect(r.response.headers['content-type']).toBe('text/plain');
    expect(r.response.headers['x-internal']).toBeUndefined();
  });

  it('caches decisions for ttl by the cache key headers; ttl 0 asks every time', async () => {
    const cached = createPluginRunner(forwardAuth, { url, ttl: 60 });
    await cached.run({ headers: { authorization: 'Bearer good' } });
    await cached.run({ headers: { authorization: 'Bearer good' } });
    await cached.run({ headers: { authorization: 'Bearer bad' } });
    expect((await cached.run({ headers: { authorization: 'Bearer bad' } })).response.status).toBe(401);
    expect(asked).toHaveLength(2);
    asked = [];
    const uncached = createPluginRunner(forwardAuth, { url, ttl: 0 });
    await uncached.run({ headers: { authorization: 'Bearer good' } });
    await uncached.run({ headers: { authorization: 'Bearer good' } });
    expect(asked).toHaveLength(2);
  });

  it('fails closed: an unreachable authorizer is a 502', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await runPlugin(forwardAuth, { url: `http://127.0.0.1:${port}/` }, { headers: { authorization: 'Bearer good' } });
    expect(r.response.status).toBe(502);
    expect(JSON.parse(r.response.body.toString()).message).toBe('An invalid response was received from the authorizer');
  });

  it('skips preflights with run_on_preflight false', async () => {
    const r = await runPlugin(forwardAuth, { url, run_on_preflight: false }, { method: 'OPTIONS' });
    expect(r.answered).toBeNull();
    expect(asked).toHaveLength(0);
  });

  it('requires url', async () => {
    await expect(runPlugin(forwardAuth, {})).rejects.toThrow(/invalid config for forward-auth: .*url/);
    await expect(runPlugin(forwardAuth, { url, ttl: -1 })).rejects.toThrow(/invalid config for forward-auth: \/ttl/);
  });
});
