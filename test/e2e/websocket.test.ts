import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import WebSocket, { WebSocketServer } from 'ws';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';

/** A real `ws` upstream on 127.0.0.1; behaviour by path (after the gateway stripped the route prefix). */
interface WsUpstream {
  port: number;
  url: string;
  /** TCP connections accepted so far (a rejected upgrade must make none). */
  tcpConnections: number;
  closes: Array<{ code: number; reason: string }>;
  flooder: WebSocket | null;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

async function startWsUpstream(): Promise<WsUpstream> {
  const server = http.createServer((_req, res) => res.end('plain http'));
  const sockets = new Set<Socket>();
  const up: WsUpstream = { port: 0, url: '', tcpConnections: 0, closes: [], flooder: null, close: async () => {} };
  server.on('connection', (s: Socket) => {
    up.tcpConnections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({
    server,
    maxPayload: 64 * MiB,
    verifyClient: (info, cb) => {
      if (info.req.url?.startsWith('/refuse')) cb(false, 403, 'go away');
      else cb(true);
    },
    handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false),
  });
  wss.on('connection', (ws, req) => {
    ws.on('close', (code, reason) => up.closes.push({ code, reason: reason.toString() }));
    const path = req.url ?? '/';
    if (path.startsWith('/headers')) {
      ws.send(JSON.stringify({ url: req.url, headers: req.headers }));
    } else if (path.startsWith('/flood')) {
      up.flooder = ws;
      const chunk = Buffer.alloc(MiB, 7);
      for (let i = 0; i < 200; i++) ws.send(chunk, { binary: true });
    } else if (path.startsWith('/greet')) {
      ws.send('hello first');
    }
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      if (text.startsWith('close-me:')) {
        const [, code, reason] = text.split(':');
        ws.close(Number(code), reason);
        return;
      }
      ws.send(data, { binary: isBinary });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  up.port = (server.address() as AddressInfo).port;
  up.url = `http://127.0.0.1:${up.port}`;
  up.close = () =>
    new Promise((r) => {
      for (const c of wss.clients) c.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      server.close(() => r());
    });
  return up;
}

function config(up: WsUpstream, extra = ''): string {
  return `_format_version: "3.0"
services:
  - name: echo
    url: ws://127.0.0.1:${up.port}
    routes:
      - name: app
        paths: [/app]
      - name: wsonly
        paths: [/wsonly]
        protocols: [ws]
      - name: secure
        paths: [/secure]
        protocols: [https, wss]
${extra}  - name: dead
    url: http://127.0.0.1:1
    retries: 0
    routes:
      - name: dead
        paths: [/dead]
`;
}

let up: WsUpstream;
let gw: GatewayProcess;

/** Opens a client; rejects with the HTTP status and body when the handshake is refused. */
function connect(path: string, protocols: string[] = [], headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.proxyPort}${path}`, protocols, { headers, maxPayload: 64 * MiB });
    ws.once('open', () => resolve(ws));
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

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })));
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function rejection(p: Promise<unknown>): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  try {
    await p;
  } catch (err) {
    return err as { status: number; body: string; headers: http.IncomingHttpHeaders };
  }
  throw new Error('the handshake was accepted');
}

async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}

beforeAll(async () => {
  up = await startWsUpstream();
  gw = await startGateway(config(up), { workers: 2 });
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

describe('websocket passthrough', () => {
  it('echoes text and binary messages with their type preserved', async () => {
    const ws = await connect('/app/echo');
    ws.send('hello');
    const t = await nextMessage(ws);
    expect(t.isBinary).toBe(false);
    expect(t.data.toString()).toBe('hello');
    const bin = Buffer.from([0, 1, 2, 255, 254]);
    ws.send(bin);
    const b = await nextMessage(ws);
    expect(b.isBinary).toBe(true);
    expect(Buffer.compare(b.data, bin)).toBe(0);
    ws.close();
    await closed(ws);
  });

  it('relays a message the upstream sends right after the handshake', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.proxyPort}/app/greet`);
    const m = await nextMessage(ws);
    expect(m.data.toString()).toBe('hello first');
    ws.close();
  });

  it('carries a 1 MB message both ways', async () => {
    const ws = await connect('/app/echo');
    const big = Buffer.alloc(MiB);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    ws.send(big);
    const m = await nextMessage(ws);
    expect(m.data.length).toBe(MiB);
    expect(Buffer.compare(m.data, big)).toBe(0);
    ws.close();
  });

  it('sends the forwarded headers and end-to-end headers upstream, and strips the route prefix', async () => {
    // The upstream speaks first: listen before the open event (it can come in the same packet).
    const ws = new WebSocket(`ws://127.0.0.1:${gw.proxyPort}/app/headers?x=1`, { headers: { cookie: 'a=1', authorization: 'Bearer t', origin: 'http://example.test', 'x-forwarded-for': '10.0.0.1' } });
    const { url, headers } = JSON.parse((await nextMessage(ws)).data.toString()) as { url: string; headers: Record<string, string> };
    expect(url).toBe('/headers?x=1');
    expect(headers.host).toBe(`127.0.0.1:${up.port}`);
    expect(headers['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe('127.0.0.1');
    expect(headers['x-forwarded-port']).toBe(String(gw.proxyPort));
    expect(headers['x-forwarded-path']).toBe('/app/headers');
    expect(headers['x-forwarded-prefix']).toBe('/app');
    expect(headers['x-real-ip']).toBe('127.0.0.1');
    expect(headers.via).toBe('1.1 sluice');
    expect(headers.cookie).toBe('a=1');
    expect(headers.authorization).toBe('Bearer t');
    expect(headers.origin).toBe('http://example.test');
    expect(headers['sec-websocket-extensions']).toBeUndefined();
    ws.close();
  });

  it('negotiates the subprotocol with the upstream', async () => {
    const ws = await connect('/app/echo', ['chat.v1', 'chat.v2']);
    expect(ws.protocol).toBe('chat.v2');
    ws.close();
    // The upstream picks none: the 101 carries no Sec-WebSocket-Protocol (the `ws` client then
    // gives up on its own, as RFC 6455 lets a client do; the gateway does not decide for it).
    const none = new WebSocket(`ws://127.0.0.1:${gw.proxyPort}/app/echo`, ['other']);
    let upgrade: http.IncomingMessage | null = null;
    none.on('upgrade', (r) => (upgrade = r));
    const err = await new Promise<Error>((r) => none.once('error', r));
    expect(err.message).toBe('Server sent no subprotocol');
    expect(upgrade!.statusCode).toBe(101);
    expect(upgrade!.headers['sec-websocket-protocol']).toBeUndefined();
  });

  it('propagates close codes and reasons from the client to the upstream', async () => {
    const ws = await connect('/app/echo');
    const before = up.closes.length;
    ws.close(4001, 'client bye');
    expect(await closed(ws)).toEqual({ code: 4001, reason: 'client bye' });
    await waitFor(() => up.closes.length > before);
    expect(up.closes.at(-1)).toEqual({ code: 4001, reason: 'client bye' });

    const ws2 = await connect('/app/echo');
    ws2.close(1000, 'normal');
    await closed(ws2);
    await waitFor(() => up.closes.length > before + 1);
    expect(up.closes.at(-1)).toEqual({ code: 1000, reason: 'normal' });
  });

  it('propagates close codes and reasons from the upstream to the client', async () => {
    for (const [code, reason] of [[4002, 'upstream bye'], [1001, 'restarting'], [1000, '']] as const) {
      const ws = await connect('/app/echo');
      const c = closed(ws);
      ws.send(`close-me:${code}:${reason}`);
      expect(await c).toEqual({ code, reason });
    }
  });

  it('rejects without contacting the upstream: no route (404) and https-only route (426)', async () => {
    const before = up.tcpConnections;
    const r404 = await rejection(connect('/nowhere'));
    expect(r404.status).toBe(404);
    expect(JSON.parse(r404.body).message).toBe('no Route matched with those values');
    expect(JSON.parse(r404.body).request_id).toBeTypeOf('string');
    const r426 = await rejection(connect('/secure/echo'));
    expect(r426.status).toBe(426);
    expect(JSON.parse(r426.body).message).toBe('Please use HTTPS protocol');
    expect(up.tcpConnections).toBe(before);
  });

  it("gives the client the upstream's status when the upstream refuses the handshake", async () => {
    const r = await rejection(connect('/app/refuse'));
    expect(r.status).toBe(403);
    expect(r.body).toBe('go away');
  });

  it('answers 502 when the upstream is unreachable', async () => {
    const r = await rejection(connect('/dead'));
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body).message).toMatch(/upstream/);
  });

  it('matches ws-only routes for upgrades only', async () => {
    const plain = await fetch(`${gw.url}/wsonly/echo`);
    expect(plain.status).toBe(404);
    const ws = await connect('/wsonly/echo');
    ws.send('via ws-only');
    expect((await nextMessage(ws)).data.toString()).toBe('via ws-only');
    ws.close();
    // A plain GET on a route with default protocols still reaches the (HTTP) upstream.
    expect(await (await fetch(`${gw.url}/app/anything`)).text()).toBe('plain http');
  });

  it('closes with 1009 when a client message exceeds the max payload, without forwarding it', async () => {
    const ws = await connect('/app/echo');
    const c = closed(ws);
    ws.send(Buffer.alloc(16 * MiB + 1));
    const { code } = await c;
    expect(code).toBe(1009);
  });

  it('counts open websockets in /status and /metrics', async () => {
    const ws = await connect('/app/echo');
    ws.send('x');
    await nextMessage(ws);
    const s = (await (await fetch(`${gw.admin}/status`)).json()) as { workers: Array<{ websockets: number }> };
    expect(s.workers.reduce((a, w) => a + w.websockets, 0)).toBeGreaterThanOrEqual(1);
    const metrics = await (await fetch(`${gw.admin}/metrics`)).text();
    expect(metrics).toMatch(/sluice_websocket_connections [1-9]/);
    expect(metrics).toMatch(/sluice_websocket_messages_total\{direction="upstream"\} [1-9]/);
    expect(metrics).toMatch(/sluice_websocket_bytes_total\{direction="downstream"\} [1-9]/);
    ws.close();
  });

  it('applies backpressure: a client that stops reading while the upstream floods 200 MB keeps gateway memory bounded', async () => {
    const ws = await connect('/app/echo'); // warm up buffers/JIT before the baseline
    ws.send(Buffer.alloc(4 * MiB));
    await nextMessage(ws);
    ws.close();
    const baseline = gw.rssKb();
    up.flooder = null;
    const client = new WebSocket(`ws://127.0.0.1:${gw.proxyPort}/app/flood`, { maxPayload: 64 * MiB });
    let received = 0;
    let messages = 0;
    client.on('message', (d: Buffer) => {
      received += d.length;
      messages++;
    });
    await new Promise<void>((r) => client.once('upgrade', () => r()));
    // Stop reading: pause the client's TCP socket (ws sets it up right after 'upgrade').
    await new Promise((r) => setImmediate(r));
    (client as unknown as { _socket: Socket })._socket.pause();
    await waitFor(() => up.flooder !== null);
    // Wait until the upstream cannot push any more (its send buffer stops shrinking).
    let last = -1;
    let stableSince = Date.now();
    await waitFor(() => {
      const b = up.flooder!.bufferedAmount;
      if (b !== last) {
        last = b;
        stableSince = Date.now();
      }
      return Date.now() - stableSince > 1000;
    }, 30000);
    expect(up.flooder!.bufferedAmount).toBeGreaterThan(100 * MiB); // most of the flood is still upstream
    const growthMb = (gw.rssKb() - baseline) / 1024;
    expect(growthMb).toBeLessThan(64);
    // Resume: every byte arrives, nothing was dropped.
    (client as unknown as { _socket: Socket })._socket.resume();
    await waitFor(() => received >= 200 * MiB, 60000);
    expect(received).toBe(200 * MiB);
    expect(messages).toBe(200);
    client.close();
  }, 90000);

  it('keeps a connection open across a reload, on every worker', async () => {
    const conns = await Promise.all([connect('/app/echo'), connect('/app/echo'), connect('/app/echo'), connect('/app/echo')]);
    const closes: string[] = [];
    for (const ws of conns) ws.on('close', (code, reason) => closes.push(`${code} ${reason.toString()}`));
    const before = ((await (await fetch(`${gw.admin}/status`)).json()) as { config: { hash: string } }).config.hash;
    writeFileSync(gw.configPath, config(up, '      - name: added\n        paths: [/added]\n'));
    await waitFor(async () => {
      const s = (await (await fetch(`${gw.admin}/status`)).json()) as { config: { hash: string }; workers: Array<{ config_hash: string }> };
      return s.config.hash !== before && s.workers.every((w) => w.config_hash === s.config.hash);
    });
    for (const [i, ws] of conns.entries()) {
      expect(closes, gw.lines.filter((l) => !l.includes('"msg":"access"')).slice(-15).join("\n")).toEqual([]);
      expect(ws.readyState).toBe(WebSocket.OPEN);
      ws.send(`after reload ${i}`);
      expect((await nextMessage(ws)).data.toString()).toBe(`after reload ${i}`);
    }
    const added = await connect('/added/echo');
    added.send('new route');
    expect((await nextMessage(added)).data.toString()).toBe('new route');
    for (const ws of [...conns, added]) ws.close();
  });
});

describe('websocket shutdown', () => {
  it('closes clients and upstreams with 1001 on graceful shutdown', async () => {
    const g = await startGateway(config(up), { workers: 1 });
    const ws = new WebSocket(`ws://127.0.0.1:${g.proxyPort}/app/echo`);
    await new Promise((r) => ws.once('open', r));
    const before = up.closes.length;
    const c = closed(ws);
    await g.stop('SIGTERM');
    expect((await c).code).toBe(1001);
    await waitFor(() => up.closes.length > before);
    expect(up.closes.at(-1)!.code).toBe(1001);
  });
});
