import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let up: Upstream;
let gw: GatewayProcess;

beforeAll(async () => {
  up = await startUpstream();
  gw = await startGateway(`
_format_version: "3.0"
services:
  - name: api
    url: ${up.url}
    routes:
      - name: open
        paths: [/open]
      - name: keyed
        paths: [/keyed]
        plugins:
          - name: key-auth
            config: { key_names: [apikey, x-api-key], hide_credentials: true }
      - name: anon
        paths: [/anon]
        plugins:
          - name: key-auth
            config: { anonymous: guest }
      - name: maintenance
        paths: [/maintenance]
        plugins:
          - name: request-termination
            config: { status_code: 503, message: "down for maintenance" }
      - name: mock
        paths: [/mock]
        plugins:
          - name: request-termination
            config: { status_code: 200, body: '{"mock":true}', content_type: application/json }
      - name: triggered
        paths: [/triggered]
        plugins:
          - name: request-termination
            config: { status_code: 418, trigger: x-teapot }
routes:
  - name: no-service
    paths: [/echo-only]
    plugins:
      - name: request-termination
        config: { status_code: 200, echo: true }
consumers:
  - username: alice
    custom_id: alice-1
    keyauth_credentials:
      - key: alice-key-123
    acls:
      - group: admins
  - username: bob
    keyauth_credentials:
      - key: bob-key-456
  - username: guest
plugins:
  # Consumer-scoped: bob is blocked on every route, after authentication.
  - name: request-termination
    consumer: bob
    config: { status_code: 403, message: "bob is suspended" }
`);
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { headers });

describe('key-auth through the plugin engine', () => {
  it('401 with WWW-Authenticate when the key is missing or wrong; nothing reaches the upstream', async () => {
    const before = up.seen.length;
    const missing = await get('/keyed');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Key realm="sluice"');
    expect(await missing.json()).toMatchObject({ message: 'No API key found in request' });
    const wrong = await get('/keyed', { apikey: 'nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ message: 'Invalid authentication credentials' });
    expect(up.seen.length).toBe(before);
  });

  it('authenticates by header or query, sends X-Consumer-* upstream, hides the credential', async () => {
    const r = await get('/keyed/x', { 'x-api-key': 'alice-key-123', 'x-consumer-username': 'mallory' });
    expect(r.status).toBe(200);
    const seen: Json = await r.json();
    expect(seen.headers['x-consumer-username']).toBe('alice');
    expect(seen.headers['x-consumer-custom-id']).toBe('alice-1');
    expect(seen.headers['x-consumer-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers['x-credential-identifier']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers['x-consumer-groups']).toBe('admins');
    expect(seen.headers['x-api-key']).toBeUndefined();
    const q: Json = await (await get('/keyed/q?apikey=alice-key-123&keep=1')).json();
    expect(q.url).toBe('/q?keep=1');
    expect(q.headers['x-consumer-username']).toBe('alice');
  });

  it('falls back to the anonymous consumer', async () => {
    const seen: Json = await (await get('/anon')).json();
    expect(seen.headers['x-anonymous-consumer']).toBe('true');
    expect(seen.headers['x-consumer-username']).toBe('guest');
    const real: Json = await (await get('/anon', { apikey: 'alice-key-123' })).json();
    expect(real.headers['x-anonymous-consumer']).toBeUndefined();
    expect(real.headers['x-consumer-username']).toBe('alice');
  });

  it('drops client-sent X-Consumer-* headers on routes without auth (no spoofing)', async () => {
    const seen: Json = await (await get('/open', { 'x-consumer-id': 'forged', 'x-anonymous-consumer': 'false' })).json();
    expect(seen.headers['x-consumer-id']).toBeUndefined();
    expect(seen.headers['x-anonymous-consumer']).toBeUndefined();
  });

  it('runs consumer-scoped plugins after authentication (per-consumer chain)', async () => {
    const bob = await get('/keyed', { apikey: 'bob-key-456' });
    expect(bob.status).toBe(403);
    expect(await bob.json()).toMatchObject({ message: 'bob is suspended' });
    expect((await get('/keyed', { apikey: 'alice-key-123' })).status).toBe(200);
  });
});

describe('request-termination', () => {
  it('answers with the JSON message and request id', async () => {
    const r = await get('/maintenance');
    expect(r.status).toBe(503);
    const body: Json = await r.json();
    expect(body.message).toBe('down for maintenance');
    expect(body.request_id).toMatch(/^[0-9a-f]+$/);
  });

  it('answers with a raw body and content type (mock)', async () => {
    const r = await get('/mock');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(await r.text()).toBe('{"mock":true}');
  });

  it('only terminates when the trigger is present', async () => {
    expect((await get('/triggered')).status).toBe(200);
    expect((await get('/triggered', { 'x-teapot': '1' })).status).toBe(418);
    expect((await get('/triggered?x-teapot')).status).toBe(418);
  });

  it('echoes the request on a route without a service', async () => {
    const r = await get('/echo-only/a?b=1', { 'x-hello': 'world' });
    expect(r.status).toBe(200);
    const body: Json = await r.json();
    expect(body.request).toMatchObject({ method: 'GET', path: '/echo-only/a', query: 'b=1' });
    expect(body.request.headers['x-hello']).toBe('world');
    expect(body.matched_route.name).toBe('no-service');
  });
});
