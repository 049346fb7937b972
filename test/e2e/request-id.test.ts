/**
 * One request id per request (SPEC §4): the response header (correlation-id with
 * echo_downstream), the error body's `request_id`, the access line and the upstream carry the
 * same value, on HTTP requests and WebSocket upgrades. And the access line's upstream_addr (the
 * peer of the last attempt), host and user_agent, JSON-escaped whatever the client sent. Through
 * the real gateway with a recording upstream on 127.0.0.1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { freePort, startGateway, tempDir, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';
import { rawExchange } from '../helpers/raw.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let up: Upstream;
let wss: WebSocketServer;
let gw: GatewayProcess;
let deadPort: number;
let fileLog: string;
/** Handshakes the WebSocket upstream accepted. */
const wsSeen: Array<Record<string, string | string[] | undefined>> = [];

const UUID_COUNTER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}#\d+$/;
/** The gateway's own id: per-worker prefix (10 hex) + counter (8 hex). */
const OWN_ID = /^[0-9a-f]{18}$/;

beforeAll(async () => {
  up = await startUpstream();
  wss = new WebSocketServer({ server: up.server });
  wss.on('connection', (ws, req) => {
    wsSeen.push(req.headers);
    ws.on('message', (d, bin) => ws.send(d, { binary: bin }));
  });
  deadPort = await freePort(); // nothing listens there: connection refused, then a retry
  fileLog = join(tempDir(), 'canary.log');
  gw = await startGateway(`
_format_version: "3.0"
services:
  - name: api
    url: ${up.url}
    routes:
      - name: cid-auth
        paths: [/cid-auth]
        strip_path: false
        plugins:
          - { name: key-auth }
          - { name: correlation-id, config: { echo_downstream: true } }
      - name: cid-open
        paths: [/cid-open]
        strip_path: false
        plugins: [{ name: correlation-id, config: { header_name: X-Correlation-ID, generator: uuid, echo_downstream: true } }]
      - name: cid-quiet
        paths: [/cid-quiet]
        strip_path: false
        plugins: [{ name: correlation-id }]
      - { name: plain, paths: [/plain], strip_path: false }
      - { name: plain-auth, paths: [/plain-auth], strip_path: false, plugins: [{ name: key-auth }] }
  - name: canary
    host: canary
    port: 80
    retries: 3
    routes:
      - { name: canary, paths: [/canary] }
    plugins:
      - { name: file-log, config: { path: ${fileLog} } }
upstreams:
  - name: canary
    targets:
      - { target: 127.0.0.1:${deadPort} }
      - { target: 127.0.0.1:${up.port} }
consumers:
  - username: alice
    keyauth_credentials: [{ key: alice-key }]
`);
});

afterAll(async () => {
  await gw?.stop();
  for (const c of wss?.clients ?? []) c.terminate();
  wss?.close();
  await up?.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { headers });
/** The access line of the one request sent to `path`. */
const accessOf = (path: string) => gw.waitForLog((l) => l.msg === 'access' && l.path === path);
/** What the upstream saw of the one request sent to `path`. */
const seenOf = (path: string) => up.seen.find((s) => s.url === path);

describe('with correlation-id', () => {
  it('a 401 from key-auth (listed first) carries the correlation id in header, body and access line', async () => {
    const r = await get('/cid-auth/a');
    expect(r.status).toBe(401);
    const body: Json = await r.json();
    const header = r.headers.get('x-request-id');
    expect(header).toMatch(UUID_COUNTER);
    expect(body.request_id).toBe(header);
    expect((await accessOf('/cid-auth/a')).request_id).toBe(header);
    expect(seenOf('/cid-auth/a')).toBeUndefined();
  });

  it('success: the upstream, the response header and the access line get the generated id', async () => {
    const r = await get('/cid-open/b', { 'user-agent': 'probe/1.0' });
    expect(r.status).toBe(200);
    const id = r.headers.get('x-correlation-id');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(seenOf('/cid-open/b')!.headers['x-correlation-id']).toBe(id);
    const line = await accessOf('/cid-open/b');
    expect(line.request_id).toBe(id);
    expect(line).toMatchObject({ upstream_addr: `127.0.0.1:${up.port}`, host: `127.0.0.1:${gw.proxyPort}`, user_agent: 'probe/1.0' });
  });

  it('without echo_downstream: the upstream and the access line still share the id', async () => {
    const r = await get('/cid-quiet/c');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBeNull();
    const id = seenOf('/cid-quiet/c')!.headers['x-request-id'];
    expect(id).toMatch(UUID_COUNTER);
    expect((await accessOf('/cid-quiet/c')).request_id).toBe(id);
  });

  it("keeps the client's id: upstream, header and access line on success", async () => {
    const r = await get('/cid-open/d', { 'x-correlation-id': 'client-abc-123' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-correlation-id')).toBe('client-abc-123');
    expect(seenOf('/cid-open/d')!.headers['x-correlation-id']).toBe('client-abc-123');
    expect((await accessOf('/cid-open/d')).request_id).toBe('client-abc-123');
  });

  it("keeps the client's id on a 401, JSON-escaped in the body (quotes, backslash, non-ASCII)", async () => {
    const mine = 'c"li\\eént-1';
    const x = await rawExchange(
      gw.proxyPort,
      Buffer.from(`GET /cid-auth/e HTTP/1.1\r\nHost: t.test\r\nX-Request-Id: ${mine}\r\nConnection: close\r\n\r\n`, 'utf8'),
    );
    const text = x.data.toString('utf8');
    expect(text.startsWith('HTTP/1.1 401')).toBe(true);
    const body: Json = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    expect(body.request_id).toBe(mine);
    expect(/\r\nx-request-id: (.*)\r\n/i.exec(text)![1]).toBe(mine);
    expect((await accessOf('/cid-auth/e')).request_id).toBe(mine);
  });
});

describe('without correlation-id', () => {
  it("a 401's body and the access line share the gateway's id; no id header either way", async () => {
    const r = await get('/plain-auth/f');
    expect(r.status).toBe(401);
    expect(r.headers.get('x-request-id')).toBeNull();
    const body: Json = await r.json();
    expect(body.request_id).toMatch(OWN_ID);
    expect((await accessOf('/plain-auth/f')).request_id).toBe(body.request_id);
  });

  it('a 404 (no route) body and the access line share the id', async () => {
    const r = await get('/nowhere/g');
    expect(r.status).toBe(404);
    const body: Json = await r.json();
    expect((await accessOf('/nowhere/g')).request_id).toBe(body.request_id);
  });

  it('a proxied request: its own id in the access line, nothing added upstream', async () => {
    const r = await get('/plain/h');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBeNull();
    expect(seenOf('/plain/h')!.headers['x-request-id']).toBeUndefined();
    expect((await accessOf('/plain/h')).request_id).toMatch(OWN_ID);
  });
});

describe('access line: upstream_addr, host, user_agent', () => {
  it('escapes hostile bytes in User-Agent and Host sent on a raw socket; the line stays one JSON object', async () => {
    const ua = 'evil "agent" \\ back\\slash \t tab é ü 😀 \\u0000 }{,"x":1';
    const host = 'h\u00e9st"\\.test';
    const x = await rawExchange(
      gw.proxyPort,
      Buffer.from(`GET /plain/i HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${ua}\r\nConnection: close\r\n\r\n`, 'utf8'),
    );
    expect(x.data.toString('latin1').startsWith('HTTP/1.1 200')).toBe(true);
    const line = await accessOf('/plain/i');
    expect(line.user_agent).toBe(ua);
    expect(line.host).toBe(host);
    expect(line.upstream_addr).toBe(`127.0.0.1:${up.port}`);
    expect(line).not.toHaveProperty('x');
    const raw = gw.lines.find((l) => l.includes('"path":"/plain/i"'))!;
    expect(raw.split('\n')).toHaveLength(1);
  });

  it('a User-Agent that is not UTF-8 gets 400 and still a parseable line', async () => {
    const x = await rawExchange(
      gw.proxyPort,
      Buffer.concat([Buffer.from('GET /plain/j HTTP/1.1\r\nHost: t.test\r\nUser-Agent: bad\xff"\\\r\nConnection: close\r\n\r\n', 'latin1')]),
    );
    expect(x.data.toString('latin1').startsWith('HTTP/1.1 400')).toBe(true);
    const line = await accessOf('/plain/j');
    expect(line.status).toBe(400);
    expect(line.user_agent).toBe('bad\ufffd"\\');
    expect(line.upstream_addr).toBeNull();
  });

  it('no User-Agent: null', async () => {
    const x = await rawExchange(gw.proxyPort, Buffer.from('GET /plain/k HTTP/1.1\r\nHost: k.test\r\nConnection: close\r\n\r\n'));
    expect(x.data.toString('latin1').startsWith('HTTP/1.1 200')).toBe(true);
    const line = await accessOf('/plain/k');
    expect(line).toMatchObject({ host: 'k.test', user_agent: null, upstream_addr: `127.0.0.1:${up.port}` });
  });

  it('a retried request logs the target that answered; file-log tries lists both', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await get(`/canary/${i}`);
      expect(r.status).toBe(200);
    }
    for (let i = 0; i < 4; i++) expect((await accessOf(`/canary/${i}`)).upstream_addr).toBe(`127.0.0.1:${up.port}`);
    const entries = await until(() => {
      if (!existsSync(fileLog)) return null;
      const lines = readFileSync(fileLog, 'utf8').split('\n').filter(Boolean);
      return lines.length >= 4 ? lines.map((l) => JSON.parse(l) as Json) : null;
    });
    const tries = entries.map((e) => e.tries as Array<{ ip: string; port: number }>);
    for (const t of tries) expect(t.at(-1)).toEqual({ ip: '127.0.0.1', port: up.port });
    // Round robin over two targets: at least one request tried the dead one first.
    expect(tries.some((t) => t.length === 2 && t[0]!.port === deadPort)).toBe(true);
  });
});

describe('WebSocket upgrades', () => {
  it('a refused upgrade (401): header, body and access line share the correlation id', async () => {
    const x = await rawExchange(
      gw.proxyPort,
      Buffer.from(
        'GET /cid-auth/ws1 HTTP/1.1\r\nHost: t.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nUser-Agent: ws-probe\r\n\r\n',
      ),
      { until: (b) => b.includes('}') },
    );
    const text = x.data.toString('utf8');
    expect(text.startsWith('HTTP/1.1 401')).toBe(true);
    const header = /\r\nx-request-id: (.*)\r\n/i.exec(text)![1];
    expect(header).toMatch(UUID_COUNTER);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).request_id).toBe(header);
    const line = await accessOf('/cid-auth/ws1');
    expect(line).toMatchObject({ websocket: true, request_id: header, user_agent: 'ws-probe', upstream_addr: null });
  });

  it('an accepted upgrade: the upstream handshake, the 101 and the access line share the id', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.proxyPort}/cid-open/ws2`, { headers: { 'user-agent': 'ws-client' } });
    let echoed = '';
    ws.once('upgrade', (res) => (echoed = String(res.headers['x-correlation-id'])));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.close();
    expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
    const line = await accessOf('/cid-open/ws2');
    expect(wsSeen.at(-1)!['x-correlation-id']).toBe(echoed);
    expect(line).toMatchObject({ websocket: true, request_id: echoed, status: 101, upstream_addr: `127.0.0.1:${up.port}`, user_agent: 'ws-client' });
  });
});

/** Polls `f` until it returns a value (not null), up to ~10 s. */
async function until<T>(f: () => T | null): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = f();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

