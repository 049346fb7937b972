/**
 * Traffic-control, security and transformation plugins through the real gateway (built CLI) with
 * a real upstream: rate-limiting (policy local), throttling, request-size-limiting,
 * ip-restriction, bot-detection, cors, correlation-id. Redis: rate-limiting-redis.test.ts.
 */
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';
import { rawRequest } from '../helpers/raw.js';

let up: Upstream;
let gw: GatewayProcess;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const config = (opts: { extraRoute?: boolean; reloadLimit?: number } = {}): string => `
_format_version: "3.0"
services:
  - name: api
    url: ${up.url}
    routes:
      - { name: rl-basic, paths: [/rl-basic], plugins: [{ name: rate-limiting, config: { month: 3, year: 5, limit_by: ip } }] }
      - { name: rl-second, paths: [/rl-second], plugins: [{ name: rate-limiting, config: { second: 1000, limit_by: ip } }] }
      - name: rl-custom
        paths: [/rl-custom]
        plugins: [{ name: rate-limiting, config: { year: 1, limit_by: ip, error_code: 503, error_message: slow down, hide_client_headers: true } }]
      - { name: rl-header, paths: [/rl-header], plugins: [{ name: rate-limiting, config: { year: 1, limit_by: header, header_name: X-Tenant } }] }
      - { name: rl-path, paths: [/rl-path], plugins: [{ name: rate-limiting, config: { year: 1, limit_by: path, path: /rl-path/one } }] }
      - name: rl-consumer
        paths: [/rl-consumer]
        plugins:
          - { name: key-auth }
          - { name: rate-limiting, config: { year: 1 } }
      - { name: rl-reload, paths: [/rl-reload], plugins: [{ name: rate-limiting, config: { year: ${opts.reloadLimit ?? 3}, limit_by: ip } }] }
${opts.extraRoute ? '      - { name: extra, paths: [/extra] }' : ''}
      - { name: thr, paths: [/thr], plugins: [{ name: throttling, config: { rate: 0.001, burst: 3 } }] }
      - name: thr-consumer
        paths: [/thr-consumer]
        plugins:
          - { name: key-auth }
          - { name: throttling, config: { rate: 0.001, burst: 1, limit_by: consumer } }
      - { name: thr-zero, paths: [/thr-zero], plugins: [{ name: throttling, config: { rate: 0, burst: 10 } }] }
      - { name: rsl, paths: [/rsl], plugins: [{ name: request-size-limiting, config: { allowed_payload_size: 1, size_unit: kilobytes } }] }
      - { name: rsl-big, paths: [/rsl-big], plugins: [{ name: request-size-limiting, config: { allowed_payload_size: 100, size_unit: kilobytes } }] }
      - { name: rsl-cl, paths: [/rsl-cl], plugins: [{ name: request-size-limiting, config: { allowed_payload_size: 1, require_content_length: true } }] }
      - { name: rsl-default, paths: [/rsl-default], plugins: [{ name: request-size-limiting }] }
      - { name: ip-deny, paths: [/ip-deny], plugins: [{ name: ip-restriction, config: { deny: [10.0.0.1, 127.0.0.0/8] } }] }
      - name: ip-other
        paths: [/ip-other]
        plugins: [{ name: ip-restriction, config: { allow: [10.0.0.0/8, "2001:db8::/32", "::1"], status: 401, message: go away } }]
      - { name: ip-mapped, paths: [/ip-mapped], plugins: [{ name: ip-restriction, config: { allow: ["::ffff:127.0.0.0/104"] } }] }
      - { name: ip-allow, paths: [/ip-allow], plugins: [{ name: ip-restriction, config: { allow: [127.0.0.1], deny: null, status: null, message: null } }] }
      - { name: bots, paths: [/bots], plugins: [{ name: bot-detection }] }
      - { name: bots-lists, paths: [/bots-lists], plugins: [{ name: bot-detection, config: { allow: [Googlebot], deny: ["curl/7", "(C|c)rawler"] } }] }
      - { name: cors-any, paths: [/cors-any], plugins: [{ name: cors }] }
      - name: cors-list
        paths: [/cors-list]
        plugins:
          - name: cors
            config:
              origins: ["http://a.example", "https://.*\\\\.b\\\\.example"]
              methods: [GET, POST]
              headers: [X-Custom, Content-Type]
              exposed_headers: [X-One, X-Two]
              credentials: true
              max_age: 600
              private_network: true
      - { name: cors-single, paths: [/cors-single], plugins: [{ name: cors, config: { origins: ["https://only.example"] } }] }
      - { name: cors-star-cred, paths: [/cors-star-cred], plugins: [{ name: cors, config: { origins: ["*"], credentials: true } }] }
      - { name: cors-continue, paths: [/cors-continue], plugins: [{ name: cors, config: { preflight_continue: true } }] }
      - name: cors-auth
        paths: [/cors-auth]
        plugins:
          - { name: key-auth }
          - { name: cors, config: { origins: ["http://a.example"] } }
      - { name: cid-default, paths: [/cid-default], plugins: [{ name: correlation-id }] }
      - { name: cid-echo, paths: [/cid-echo], plugins: [{ name: correlation-id, config: { header_name: X-Correlation-ID, generator: uuid, echo_downstream: true } }] }
      - { name: cid-tracker, paths: [/cid-tracker], plugins: [{ name: correlation-id, config: { generator: tracker, echo_downstream: true } }] }
      - name: cid-auth
        paths: [/cid-auth]
        plugins:
          - { name: key-auth }
          - { name: correlation-id, config: { echo_downstream: true } }
consumers:
  - username: alice
    keyauth_credentials: [{ key: alice-key }]
  - username: bob
    keyauth_credentials: [{ key: bob-key }]
`;

beforeAll(async () => {
  up = await startUpstream((req, res, body) => {
    if (req.url === '/cors-origin') {
      res.writeHead(200, { 'access-control-allow-origin': 'http://upstream.example', 'content-type': 'text/plain' });
      return res.end('x');
    }
    const out = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bytes: body.length });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
  gw = await startGateway(config());
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => fetch(`${gw.url}${path}`, { method, headers });

describe('rate-limiting (policy local)', () => {
  it('counts per window, sends Kong 3.x headers, answers 429 with Retry-After and does not count refused requests', async () => {
    const before = up.seen.length;
    for (let i = 1; i <= 3; i++) {
      const r = await get('/rl-basic');
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ratelimit-limit-month')).toBe('3');
      expect(r.headers.get('x-ratelimit-remaining-month')).toBe(String(3 - i));
      expect(r.headers.get('x-ratelimit-limit-year')).toBe('5');
      expect(r.headers.get('x-ratelimit-remaining-year')).toBe(String(5 - i));
      // RateLimit-* describe the window closest to its limit (month).
      expect(r.headers.get('ratelimit-limit')).toBe('3');
      expect(r.headers.get('ratelimit-remaining')).toBe(String(3 - i));
      expect(Number(r.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    }
    const over = await get('/rl-basic');
    expect(over.status).toBe(429);
    const body: Json = await over.json();
    expect(body.message).toBe('API rate limit exceeded');
    expect(body.request_id).toBeTruthy();
    expect(over.headers.get('retry-after')).toBe(over.headers.get('ratelimit-reset'));
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(over.headers.get('x-ratelimit-remaining-month')).toBe('0');
    // The refused request was not counted in the year window either.
    expect(over.headers.get('x-ratelimit-remaining-year')).toBe('2');
    expect(over.headers.get('ratelimit-remaining')).toBe('0');
    const again = await get('/rl-basic');
    expect(again.headers.get('x-ratelimit-remaining-year')).toBe('2');
    expect(up.seen.length - before).toBe(3);
  });

  it('second windows reset every second (RateLimit-Reset is 1)', async () => {
    const r = await get('/rl-second');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ratelimit-limit-second')).toBe('1000');
    expect(r.headers.get('ratelimit-reset')).toBe('1');
  });

  it('error_code, error_message and hide_client_headers', async () => {
    const ok = await get('/rl-custom');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-limit')).toBeNull();
    expect(ok.headers.get('x-ratelimit-limit-year')).toBeNull();
    const r = await get('/rl-custom');
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ message: 'slow down' });
    expect(r.headers.get('x-ratelimit-remaining-year')).toBeNull();
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('limit_by header counts each header value apart (and falls back to the IP without it)', async () => {
    expect((await get('/rl-header', { 'x-tenant': 'a' })).status).toBe(200);
    expect((await get('/rl-header', { 'x-tenant': 'a' })).status).toBe(429);
    expect((await get('/rl-header', { 'x-tenant': 'b' })).status).toBe(200);
    expect((await get('/rl-header')).status).toBe(200);
    expect((await get('/rl-header')).status).toBe(429);
  });

  it('limit_by path counts the configured path; other paths count by IP', async () => {
    expect((await get('/rl-path/one')).status).toBe(200);
    expect((await get('/rl-path/one')).status).toBe(429);
    expect((await get('/rl-path/two')).status).toBe(200);
    expect((await get('/rl-path/three')).status).toBe(429);
  });

  it('limit_by consumer (after key-auth) counts each consumer apart', async () => {
    expect((await get('/rl-consumer', { apikey: 'alice-key' })).status).toBe(200);
    expect((await get('/rl-consumer', { apikey: 'alice-key' })).status).toBe(429);
    expect((await get('/rl-consumer', { apikey: 'bob-key' })).status).toBe(200);
  });

  it('counters survive a reload that does not change the plugin, and restart when it changes', async () => {
    expect((await get('/rl-reload')).headers.get('x-ratelimit-remaining-year')).toBe('2');
    expect((await get('/rl-reload')).headers.get('x-ratelimit-remaining-year')).toBe('1');
    writeFileSync(gw.configPath, config({ extraRoute: true }));
    expect((await fetch(`${gw.admin}/reload`, { method: 'POST' })).status).toBe(200);
    expect((await get('/extra')).status).toBe(200); // the new snapshot serves
    expect((await get('/rl-reload')).headers.get('x-ratelimit-remaining-year')).toBe('0');
    expect((await get('/rl-reload')).status).toBe(429);
    writeFileSync(gw.configPath, config({ extraRoute: true, reloadLimit: 4 }));
    expect((await fetch(`${gw.admin}/reload`, { method: 'POST' })).status).toBe(200);
    const fresh = await get('/rl-reload');
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('x-ratelimit-limit-year')).toBe('4');
    expect(fresh.headers.get('x-ratelimit-remaining-year')).toBe('3');
  });
});

describe('throttling (token bucket)', () => {
  it('allows a burst, then 429 Too Many Requests with Retry-After', async () => {
    for (let i = 0; i < 3; i++) expect((await get('/thr')).status).toBe(200);
    const r = await get('/thr');
    expect(r.status).toBe(429);
    expect(await r.json()).toMatchObject({ message: 'Too Many Requests' });
    // One token per 1000 s: the next one is far away.
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(100);
  });

  it('limit_by consumer gives each consumer a bucket', async () => {
    expect((await get('/thr-consumer', { apikey: 'alice-key' })).status).toBe(200);
    expect((await get('/thr-consumer', { apikey: 'alice-key' })).status).toBe(429);
    expect((await get('/thr-consumer', { apikey: 'bob-key' })).status).toBe(200);
  });

  it('rate 0 refuses everything', async () => {
    expect((await get('/thr-zero')).status).toBe(429);
  });
});

/**
 * Sends a chunked (no Content-Length) POST of `size` bytes; resolves with the status and body, or
 * status 0 when the gateway closed the connection while the client was still sending (a client
 * writing a large body may then never read the 413: the gateway log shows it).
 */
function chunkedPost(path: string, size: number, chunk = 256): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${gw.url}${path}`, { method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', reject);
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        const n = Math.min(chunk, size - sent);
        sent += n;
        if (!req.write(Buffer.alloc(n, 97))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

describe('request-size-limiting', () => {
  it('accepts a body at the limit and refuses a declared Content-Length over it with 413, before the upstream', async () => {
    const ok = await fetch(`${gw.url}/rsl`, { method: 'POST', body: 'a'.repeat(1024) });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Json).bytes).toBe(1024);
    const before = up.seen.length;
    const r = await fetch(`${gw.url}/rsl`, { method: 'POST', body: 'a'.repeat(1025) });
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ message: 'Request size limit exceeded' });
    expect(up.seen.length).toBe(before);
  });

  it('answers 417 to Expect: 100-continue over the limit (Kong)', async () => {
    const raw = await rawRequest(gw.proxyPort, 'POST /rsl HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n');
    // uWebSockets.js answers `100 Continue` by itself before the handler runs; the final status is 417.
    expect(raw).toMatch(/^(HTTP\/1\.1 100 Continue\r\n\r\n)?HTTP\/1\.1 417 /);
    expect(raw).toContain('Request size limit exceeded');
  });

  it('counts a chunked body while it streams: small passes whole, large gets 413 and the upstream never gets it', async () => {
    const small = await chunkedPost('/rsl', 1000);
    expect(small.status).toBe(200);
    expect(JSON.parse(small.body).bytes).toBe(1000);
    const before = up.seen.length;
    const big = await chunkedPost('/rsl', 5000);
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).message).toBe('Request size limit exceeded');
    const large = await chunkedPost('/rsl-big', 4 * 1024 * 1024, 16 * 1024);
    expect([0, 413]).toContain(large.status);
    await gw.waitForLog((l) => l.msg === 'access' && l.path === '/rsl-big' && l.status === 413);
    // The upstream saw no complete body of either request.
    expect(up.seen.slice(before).filter((s) => s.url === '/' && s.bodyBytes >= 5000)).toEqual([]);
  });

  it('require_content_length answers 411 to a chunked body; bodiless requests pass', async () => {
    const r = await chunkedPost('/rsl-cl', 10);
    expect(r.status).toBe(411);
    expect(JSON.parse(r.body).message).toBe('A valid Content-Length header is required');
    expect((await get('/rsl-cl')).status).toBe(200);
  });

  it('defaults to 128 megabytes', async () => {
    const raw = await rawRequest(gw.proxyPort, `POST /rsl-default HTTP/1.1\r\nHost: x\r\nContent-Length: ${128 * 2 ** 20 + 1}\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1\.1 413 /);
  });
});

describe('ip-restriction', () => {
  it('deny list (CIDR) refuses with 403 and Kong\'s message', async () => {
    const r = await get('/ip-deny');
    expect(r.status).toBe(403);
    expect(await r.json()).toMatchObject({ message: 'Your IP address is not allowed' });
  });

  it('allow list without the client refuses with the configured status and message', async () => {
    const r = await get('/ip-other');
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({ message: 'go away' });
  });

  it('allows listed clients, including IPv4-mapped IPv6 entries', async () => {
    expect((await get('/ip-allow')).status).toBe(200);
    expect((await get('/ip-mapped')).status).toBe(200);
  });
});

describe('bot-detection', () => {
  it("refuses Kong's known bots with 403 Forbidden and lets browsers through", async () => {
    const bot = await get('/bots', { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' });
    expect(bot.status).toBe(403);
    expect(await bot.json()).toMatchObject({ message: 'Forbidden' });
    expect((await get('/bots', { 'user-agent': 'Python-urllib/3.11' })).status).toBe(403);
    expect((await get('/bots', { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36' })).status).toBe(200);
    expect((await get('/bots', { 'user-agent': 'curl/8.5.0' })).status).toBe(200);
  });

  it('allow wins over the bot list; deny adds patterns', async () => {
    expect((await get('/bots-lists', { 'user-agent': 'Googlebot/2.1' })).status).toBe(200);
    expect((await get('/bots-lists', { 'user-agent': 'curl/7.68.0' })).status).toBe(403);
    expect((await get('/bots-lists', { 'user-agent': 'MyCrawler 1' })).status).toBe(403);
    expect((await get('/bots-lists', { 'user-agent': 'curl/8.5.0' })).status).toBe(200);
  });

  it('answers fast on a long hostile User-Agent (no catastrophic backtracking)', async () => {
    const r = await get('/bots', { 'user-agent': 'a'.repeat(8000) });
    expect(r.status).toBe(200);
    expect((await get('/bots', { 'user-agent': 'A-'.repeat(4000) })).status).toBe(200);
  });
});

describe('cors', () => {
  const preflight = (path: string, origin: string, extra: Record<string, string> = {}) =>
    get(path, { origin, 'access-control-request-method': 'POST', ...extra }, 'OPTIONS');

  it('answers a preflight itself (200) with the defaults: any origin, all methods, echoed request headers', async () => {
    const before = up.seen.length;
    const r = await preflight('/cors-any', 'http://x.example', { 'access-control-request-headers': 'X-Foo, Content-Type' });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-methods')).toBe('GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT');
    expect(r.headers.get('access-control-allow-headers')).toBe('X-Foo, Content-Type');
    expect(r.headers.get('access-control-max-age')).toBeNull();
    expect(r.headers.get('vary')).toBeNull();
    expect(await r.text()).toBe('');
    expect(up.seen.length).toBe(before);
  });

  it('adds Access-Control-Allow-Origin to proxied responses, replacing the upstream\'s', async () => {
    const r = await get('/cors-any/cors-origin', { origin: 'http://x.example' });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('origins list: exact and regex origins, credentials, max_age, private network, exposed headers, Vary', async () => {
    const ok = await preflight('/cors-list', 'http://a.example', { 'access-control-request-private-network': 'true' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://a.example');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-methods')).toBe('GET,POST');
    expect(ok.headers.get('access-control-allow-headers')).toBe('X-Custom,Content-Type');
    expect(ok.headers.get('access-control-max-age')).toBe('600');
    expect(ok.headers.get('access-control-allow-private-network')).toBe('true');
    expect(ok.headers.get('vary')).toBe('Origin');

    const regex = await get('/cors-list', { origin: 'https://app.b.example' });
    expect(regex.headers.get('access-control-allow-origin')).toBe('https://app.b.example');
    expect(regex.headers.get('access-control-expose-headers')).toBe('X-One,X-Two');
    expect(regex.headers.get('access-control-allow-credentials')).toBe('true');
    expect(regex.headers.get('vary')).toContain('Origin');

    const port = await get('/cors-list', { origin: 'http://a.example:80' });
    expect(port.headers.get('access-control-allow-origin')).toBe('http://a.example');

    const evil = await preflight('/cors-list', 'https://evil.example');
    expect(evil.status).toBe(200);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const evilGet = await get('/cors-list', { origin: 'https://b.example.evil.example' });
    expect(evilGet.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a single literal origin is always sent; * with credentials echoes the origin', async () => {
    const r = await get('/cors-single', { origin: 'https://other.example' });
    expect(r.headers.get('access-control-allow-origin')).toBe('https://only.example');
    const c = await get('/cors-star-cred', { origin: 'https://any.example' });
    expect(c.headers.get('access-control-allow-origin')).toBe('https://any.example');
    expect(c.headers.get('access-control-allow-credentials')).toBe('true');
    expect(c.headers.get('vary')).toBe('Origin');
  });

  it('preflight_continue proxies the preflight untouched', async () => {
    const r = await preflight('/cors-continue', 'http://x.example');
    expect(r.status).toBe(200);
    expect(((await r.json()) as Json).method).toBe('OPTIONS');
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('adds the headers to responses the gateway makes (a 401 from key-auth)', async () => {
    const r = await get('/cors-auth', { origin: 'http://a.example' });
    expect(r.status).toBe(401);
    expect(r.headers.get('access-control-allow-origin')).toBe('http://a.example');
  });
});

describe('correlation-id', () => {
  it('defaults: X-Request-Id as uuid#counter sent upstream, not echoed', async () => {
    const r = await get('/cid-default');
    const seen: Json = await r.json();
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}#\d+$/);
    expect(r.headers.get('x-request-id')).toBeNull();
    const next: Json = await (await get('/cid-default')).json();
    const n = (s: string): number => Number(s.split('#')[1]);
    expect(n(next.headers['x-request-id'])).toBeGreaterThan(n(seen.headers['x-request-id']));
  });

  it('uuid generator with echo_downstream; keeps the id the client sent', async () => {
    const r = await get('/cid-echo');
    const seen: Json = await r.json();
    const id = seen.headers['x-correlation-id'];
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.headers.get('x-correlation-id')).toBe(id);
    const mine = await get('/cid-echo', { 'x-correlation-id': 'client-123' });
    expect(((await mine.json()) as Json).headers['x-correlation-id']).toBe('client-123');
    expect(mine.headers.get('x-correlation-id')).toBe('client-123');
  });

  it('tracker generator', async () => {
    const r = await get('/cid-tracker');
    const id = ((await r.json()) as Json).headers['x-request-id'];
    expect(id).toMatch(/^127\.0\.0\.1-\d+-\d+-\d+-\d+\.\d{3}$/);
    expect(r.headers.get('x-request-id')).toBe(id);
  });

  it('echoes an id on a response an earlier plugin made (401)', async () => {
    const r = await get('/cid-auth');
    expect(r.status).toBe(401);
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}#\d+$/);
  });
});
