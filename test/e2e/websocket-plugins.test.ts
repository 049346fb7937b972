/**
 * WebSocket upgrades run the route's plugin chain (SPEC.md §4, §5), through the real gateway and a
 * real `ws` upstream that counts its TCP connections: a rejection is an HTTP answer with the
 * plugin's status, JSON body and headers, and no upstream connection is made; an accepted upgrade
 * carries the plugins' upstream headers (X-Consumer-*, correlation id) on the upstream handshake
 * and their response headers on the 101.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { SignJWT } from 'jose';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';

interface WsUpstream {
  port: number;
  /** TCP connections accepted so far (a rejected upgrade must make none). */
  tcpConnections: number;
  /** The handshake request of every accepted WebSocket. */
  handshakes: Array<{ url: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/** Echo upstream; its first message is the handshake it saw (url and headers). */
async function startWsUpstream(): Promise<WsUpstream> {
  const server = http.createServer((_req, res) => res.end('plain http'));
  const sockets = new Set<Socket>();
  const up: WsUpstream = { port: 0, tcpConnections: 0, handshakes: [], close: async () => {} };
  server.on('connection', (s: Socket) => {
    up.tcpConnections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    const seen = { url: req.url ?? '', headers: req.headers };
    up.handshakes.push(seen);
    ws.send(JSON.stringify(seen));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  up.port = (server.address() as AddressInfo).port;
  up.close = () =>
    new Promise((r) => {
      for (const c of wss.clients) c.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      server.close(() => r());
    });
  return up;
}

const JWT_SECRET = 'alice-ws-jwt-secret-0123456789abcdef';

/** An external authorizer for forward-auth (an asynchronous access handler). */
function startAuthorizer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Bearer good-')) {
      res.writeHead(200, { 'x-user-id': auth.slice('Bearer good-'.length) });
      return res.end();
    }
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end('{"error":"forbidden"}');
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

function config(up: WsUpstream, authzPort: number): string {
  return `_format_version: "3.0"
services:
  - name: echo
    url: ws://127.0.0.1:${up.port}
    routes:
      - name: open
        paths: [/open]
      - name: keyed
        paths: [/keyed]
        plugins:
          - name: key-auth
            config: { key_names: [apikey, x-api-key], hide_credentials: true }
      - name: keyed-wsonly
        paths: [/keyed-wsonly]
        protocols: [ws]
        plugins: [{ name: key-auth }]
      - name: jwt
        paths: [/jwt]
        plugins: [{ name: jwt }]
      - name: admins
        paths: [/admins]
        plugins:
          - { name: key-auth }
          - { name: acl, config: { allow: [admins], hide_groups_header: true } }
      - name: ip-deny
        paths: [/ip-deny]
        plugins: [{ name: ip-restriction, config: { deny: [127.0.0.0/8] } }]
      - name: ip-allow
        paths: [/ip-allow]
        plugins: [{ name: ip-restriction, config: { allow: [127.0.0.1] } }]
      - name: limited
        paths: [/limited]
        plugins: [{ name: rate-limiting, config: { minute: 2, limit_by: ip } }]
      - name: cors
        paths: [/cors]
        # Two origins: with a single literal one, Kong (and Sluice) always send that origin.
        plugins: [{ name: cors, config: { origins: ["http://good.example", "http://other.example"], credentials: true } }]
      - name: maintenance
        paths: [/maintenance]
        protocols: [ws]
        plugins: [{ name: request-termination, config: { status_code: 503, message: "down for maintenance" } }]
      - name: mock
        paths: [/mock]
        plugins: [{ name: request-termination, config: { status_code: 200, body: "mocked", content_type: text/plain } }]
      - name: authz
        paths: [/authz]
        plugins: [{ name: forward-auth, config: { url: "http://127.0.0.1:${authzPort}/check", ttl: 0, upstream_headers: [x-user-id] } }]
      - name: cid
        paths: [/cid]
        plugins: [{ name: correlation-id, config: { header_name: X-Correlation-ID, echo_downstream: true } }]
routes:
  - name: no-service
    paths: [/no-service]
    plugins: [{ name: request-termination, config: { status_code: 410, message: "gone" } }]
consumers:
  - username: alice
    custom_id: alice-1
    keyauth_credentials: [{ key: alice-key }]
    jwt_secrets: [{ key: alice-iss, algorithm: HS256, secret: ${JWT_SECRET} }]
    acls: [{ group: admins }]
  - username: bob
    keyauth_credentials: [{ key: bob-key }]
    acls: [{ group: users }]
  - username: carol
    keyauth_credentials: [{ key: carol-key }]
plugins:
  # Consumer-scoped: carol is suspended on every route, once authenticated.
  - name: request-termination
    consumer: carol
    config: { status_code: 403, message: "carol is suspended" }
`;
}

let up: WsUpstream;
let gw: GatewayProcess;
let authz: http.Server;

interface Opened {
  ws: WebSocket;
  /** The 101's headers. */
  headers: http.IncomingHttpHeaders;
  /** The handshake the upstream saw (its first message). */
  seen: { url: string; headers: Record<string, string> };
}

interface Refused {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** Opens a client; resolves with the 101 headers and what the upstream saw, or rejects with the HTTP answer. */
function open(path: string, headers: Record<string, string> = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.proxyPort}${path}`, { headers });
    let upgradeHeaders: http.IncomingHttpHeaders = {};
    ws.once('upgrade', (res: http.IncomingMessage) => (upgradeHeaders = res.headers));
    // The upstream speaks first: listen before `open` (it can arrive in the same packet).
    ws.once('message', (data: Buffer) => resolve({ ws, headers: upgradeHeaders, seen: JSON.parse(data.toString()) }));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode, body: Buffer.concat(chunks).toString(), headers: res.headers }));
        ws.terminate();
      });
    });
    ws.once('error', reject);
  });
}

async function refused(path: string, headers: Record<string, string> = {}): Promise<Refused> {
  try {
    const o = await open(path, headers);
    o.ws.terminate();
  } catch (err) {
    if ((err as Refused).status !== undefined) return err as Refused;
    throw err;
  }
  throw new Error('the upgrade was accepted');
}

async function closeClient(ws: WebSocket): Promise<void> {
  const done = new Promise<void>((r) => ws.once('close', () => r()));
  ws.close();
  await done;
}

/** Refusal checks: status, JSON `{"message","request_id"}`, and no TCP connection to the upstream. */
async function expectRefused(path: string, headers: Record<string, string>, status: number, message: string): Promise<Refused> {
  const before = up.tcpConnections;
  const r = await refused(path, headers);
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
  const body = JSON.parse(r.body) as { message: string; request_id: string };
  expect(body.message).toBe(message);
  expect(body.request_id).toMatch(/^[0-9a-f]+$/);
  expect(r.headers['x-sluice-response-latency']).toMatch(/^\d+$/);
  expect(up.tcpConnections).toBe(before);
  return r;
}

beforeAll(async () => {
  up = await startWsUpstream();
  authz = await startAuthorizer();
  gw = await startGateway(config(up, (authz.address() as AddressInfo).port), { workers: 2 });
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
  await new Promise((r) => authz?.close(r));
});

describe('websocket upgrades run the access plugins', () => {
  it('a route without plugins still upgrades (baseline)', async () => {
    const o = await open('/open/x');
    expect(o.seen.url).toBe('/x');
    o.ws.send('ping?');
    const echoed = await new Promise<string>((r) => o.ws.once('message', (d: Buffer) => r(d.toString())));
    expect(echoed).toBe('ping?');
    await closeClient(o.ws);
  });

  it('key-auth: missing or wrong key → 401 with WWW-Authenticate, no upstream connection', async () => {
    const missing = await expectRefused('/keyed', {}, 401, 'No API key found in request');
    expect(missing.headers['www-authenticate']).toBe('Key realm="sluice"');
    const wrong = await expectRefused('/keyed', { apikey: 'nope' }, 401, 'Invalid authentication credentials');
    expect(wrong.headers['www-authenticate']).toBe('Key realm="sluice"');
    // A ws-only route too.
    await expectRefused('/keyed-wsonly', {}, 401, 'No API key found in request');
  });

  it('key-auth by header: upgrades, X-Consumer-* on the upstream handshake, key hidden, spoofed consumer headers dropped', async () => {
    const o = await open('/keyed/h', { 'x-api-key': 'alice-key', 'x-consumer-username': 'mallory', 'x-anonymous-consumer': 'true' });
    const h = o.seen.headers;
    expect(h['x-consumer-username']).toBe('alice');
    expect(h['x-consumer-custom-id']).toBe('alice-1');
    expect(h['x-consumer-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(h['x-credential-identifier']).toMatch(/^[0-9a-f-]{36}$/);
    expect(h['x-consumer-groups']).toBe('admins');
    expect(h['x-anonymous-consumer']).toBeUndefined();
    expect(h['x-api-key']).toBeUndefined();
    expect(h['sec-websocket-key']).toBeDefined();
    await closeClient(o.ws);
  });

  it('key-auth by ?apikey=: upgrades, the key is removed from the upstream query, the rest kept', async () => {
    const o = await open('/keyed/q?apikey=alice-key&keep=1');
    expect(o.seen.url).toBe('/q?keep=1');
    expect(o.seen.headers['x-consumer-username']).toBe('alice');
    await closeClient(o.ws);
  });

  it('the access log line of the upgrade names the consumer', async () => {
    const o = await open('/keyed/logged', { apikey: 'alice-key' });
    await closeClient(o.ws);
    const line = await gw.waitForLog((l) => l.msg === 'access' && l.websocket === true && l.path === '/keyed/logged');
    expect(line.status).toBe(101);
    expect(line.consumer).toBe('alice');
    expect(gw.lines.join('\n')).not.toContain('alice-key');
  });

  it('jwt: a bearer token on the upgrade authenticates; none or a bad one → 401', async () => {
    const token = await new SignJWT({ iss: 'alice-iss' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(JWT_SECRET));
    const o = await open('/jwt', { authorization: `Bearer ${token}` });
    expect(o.seen.headers['x-consumer-username']).toBe('alice');
    await closeClient(o.ws);
    const none = await expectRefused('/jwt', {}, 401, 'Unauthorized');
    expect(none.headers['www-authenticate']).toBeDefined();
    const forged = await new SignJWT({ iss: 'alice-iss' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode('not-the-secret-0123456789abcdefgh'));
    await expectRefused('/jwt', { authorization: `Bearer ${forged}` }, 401, 'Invalid signature');
  });

  it('acl: a consumer outside the allowed group → 403; an allowed one upgrades without X-Consumer-Groups (hide_groups_header)', async () => {
    await expectRefused('/admins', { apikey: 'bob-key' }, 403, 'You cannot consume this service');
    const o = await open('/admins', { apikey: 'alice-key' });
    expect(o.seen.headers['x-consumer-username']).toBe('alice');
    expect(o.seen.headers['x-consumer-groups']).toBeUndefined();
    await closeClient(o.ws);
  });

  it('ip-restriction: a denied client → 403, an allowed one upgrades', async () => {
    await expectRefused('/ip-deny', {}, 403, 'Your IP address is not allowed');
    const o = await open('/ip-allow');
    await closeClient(o.ws);
  });

  it('rate-limiting: 2 per minute → the third upgrade gets 429 with Retry-After and RateLimit headers', async () => {
    // The three upgrades must fall in one minute window: start at the beginning of one if the
    // current minute is about to end (a boundary check, not a timing assumption).
    const inMinute = new Date().getUTCSeconds();
    if (inMinute >= 50) await new Promise((r) => setTimeout(r, (61 - inMinute) * 1000));
    const first = await open('/limited');
    expect(first.headers['ratelimit-limit']).toBe('2');
    expect(first.headers['ratelimit-remaining']).toBe('1');
    expect(first.headers['x-ratelimit-limit-minute']).toBe('2');
    expect(first.headers['x-ratelimit-remaining-minute']).toBe('1');
    const second = await open('/limited');
    expect(second.headers['ratelimit-remaining']).toBe('0');
    const third = await expectRefused('/limited', {}, 429, 'API rate limit exceeded');
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(third.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(third.headers['ratelimit-limit']).toBe('2');
    expect(third.headers['ratelimit-remaining']).toBe('0');
    expect(third.headers['ratelimit-reset']).toBe(third.headers['retry-after']);
    await closeClient(first.ws);
    await closeClient(second.ws);
  }, 30_000);

  it('cors: an allowed Origin gets Access-Control-Allow-Origin on the 101; a disallowed one still upgrades, without it (as Kong: cors never rejects a non-preflight request)', async () => {
    const good = await open('/cors', { origin: 'http://good.example' });
    expect(good.headers['access-control-allow-origin']).toBe('http://good.example');
    expect(good.headers['access-control-allow-credentials']).toBe('true');
    expect(good.headers.vary).toBe('Origin');
    expect(good.seen.headers.origin).toBe('http://good.example');
    await closeClient(good.ws);
    const bad = await open('/cors', { origin: 'http://evil.example' });
    expect(bad.headers['access-control-allow-origin']).toBeUndefined();
    await closeClient(bad.ws);
  });

  it('request-termination on a ws route: its status and message, no upstream connection', async () => {
    await expectRefused('/maintenance', {}, 503, 'down for maintenance');
  });

  it('request-termination with a raw body answers the upgrade with that body and content type', async () => {
    const before = up.tcpConnections;
    const r = await refused('/mock');
    expect(r.status).toBe(200);
    expect(r.body).toBe('mocked');
    expect(r.headers['content-type']).toBe('text/plain');
    expect(up.tcpConnections).toBe(before);
  });

  it('runs on a route without a service (the plugin answers before the missing service matters)', async () => {
    await expectRefused('/no-service', {}, 410, 'gone');
  });

  it('a consumer-scoped plugin applies after authentication on the upgrade', async () => {
    await expectRefused('/keyed', { apikey: 'carol-key' }, 403, 'carol is suspended');
    // Other consumers are unaffected.
    const o = await open('/keyed', { apikey: 'bob-key' });
    expect(o.seen.headers['x-consumer-username']).toBe('bob');
    await closeClient(o.ws);
  });

  it('forward-auth (asynchronous access handler): allowed upgrades carry its upstream header; a denial is its answer, no upstream connection', async () => {
    const o = await open('/authz', { authorization: 'Bearer good-alice', 'x-user-id': 'forged' });
    expect(o.seen.headers['x-user-id']).toBe('alice');
    await closeClient(o.ws);
    const before = up.tcpConnections;
    const denied = await refused('/authz', { authorization: 'Bearer bad' });
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toEqual({ error: 'forbidden' });
    expect(up.tcpConnections).toBe(before);
  });

  it('correlation-id: a generated id reaches the upstream handshake and is echoed on the 101; a client id is kept', async () => {
    const o = await open('/cid');
    const id = o.seen.headers['x-correlation-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}#\d+$/); // the default generator, uuid#counter
    expect(o.headers['x-correlation-id']).toBe(id);
    await closeClient(o.ws);
    const mine = await open('/cid', { 'x-correlation-id': 'client-chosen-1' });
    expect(mine.seen.headers['x-correlation-id']).toBe('client-chosen-1');
    expect(mine.headers['x-correlation-id']).toBe('client-chosen-1');
    await closeClient(mine.ws);
  });
});

/**
 * A raw upgrade request (no `ws` client, so the Connection header is ours), reading the 101 and
 * the upstream's first message; null when the connection closes before that message.
 */
function rawUpgrade(path: string, connection: string): Promise<{ head: string; message: string | null }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(gw.proxyPort, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let head: string | null = null;
    const done = (message: string | null): void => {
      s.destroy();
      resolve({ head: head ?? '', message });
    };
    s.on('connect', () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: ${connection}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (head === null) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        head = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
      }
      // One unmasked server frame: text, 7-bit or 16-bit length.
      if (buf.length < 2) return;
      let len = buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      }
      if (buf.length >= off + len) done(buf.subarray(off, off + len).toString());
    });
    s.on('close', () => done(null));
    s.on('error', reject);
  });
}

describe('asynchronous upgrades (uWS 20.30 cork bug)', () => {
  // uWS 20.30's HttpResponse::cork reads the upgraded socket's reallocated memory as HTTP response
  // state once its handler returns: an upgrade made inside it was sometimes closed right after
  // `open` (uWebSockets PR #1929). The proxy now writes the head corked and upgrades after.
  it('every one of many upgrades stays open and gets the message the upstream sends first', async () => {
    for (let i = 0; i < 150; i++) {
      const r = await rawUpgrade(`/open/n${i}`, i % 2 === 0 ? 'Upgrade' : 'keep-alive, Upgrade');
      expect(r.head.startsWith('HTTP/1.1 101 '), `upgrade ${i}`).toBe(true);
      expect(r.message, `upgrade ${i}`).not.toBeNull();
      expect(JSON.parse(r.message!).url).toBe(`/n${i}`);
    }
  });

  it('a handshake whose Connection lacks "upgrade" gets 400 (RFC 6455 §4.2.1), no upstream connection', async () => {
    const before = up.tcpConnections;
    for (const connection of ['close', 'keep-alive']) {
      const r = await rawUpgrade('/open/bad', connection);
      expect(r.head.startsWith('HTTP/1.1 400 '), connection).toBe(true);
    }
    expect(up.tcpConnections).toBe(before);
  });
});
