/**
 * The shared plugin-chain runner (src/proxy/plugin-phases.ts) and when the WebSocket proxy runs
 * each phase: header phase on the 101 or on the refusal, log phase once — at close with status
 * 101, or with the refusal. WsUpgrade is driven with a stand-in for uWS's response object (the
 * e2e suite covers the real thing) and a real `ws` upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { loadConfigString } from '../../../src/config/index.js';
import type { Consumer } from '../../../src/config/types.js';
import type { Chain } from '../../../src/plugins/chain.js';
import type { AccessResult, ConsumerIndex, LogInfo, PluginContext, PluginResponse } from '../../../src/plugins/types.js';
import { pushConsumerHeaders, runAccess, type PhaseHost } from '../../../src/proxy/plugin-phases.js';
import { WebSocketProxy } from '../../../src/proxy/websocket.js';
import { WsUpgrade } from '../../../src/proxy/websocket/upgrade.js';
import type { WsUserData } from '../../../src/proxy/websocket/relay.js';
import type { ProxyState } from '../../../src/proxy/http.js';
import { compile } from '../../../src/snapshot/compile.js';
import { PoolRegistry } from '../../../src/upstream/pool.js';

type Access = (ctx: PluginContext) => AccessResult;

function chain(access: Access[], opts: { priorities?: number[]; auth?: boolean[]; header?: Chain['header']; log?: Chain['log']; byConsumer?: Map<string, Chain> } = {}): Chain {
  return {
    entries: [],
    access,
    accessPriority: opts.priorities ?? access.map((_, i) => 1000 - i),
    accessAuth: opts.auth ?? access.map(() => false),
    header: opts.header ?? null,
    log: opts.log ?? null,
    byConsumer: opts.byConsumer ?? null,
    bufferRequestBody: false,
    bufferResponse: null,
    body: null,
  } as Chain;
}

/** A host recording what the runner decided. */
function host(): PhaseHost & { outcome: Promise<string>; trace: string[]; cancelled: boolean } {
  let settle!: (s: string) => void;
  const outcome = new Promise<string>((r) => (settle = r));
  const h = {
    method: 'GET', path: '/', query: '', headers: {}, header: () => undefined, clientIp: '127.0.0.1', requestId: 'r1', requestIdFixed: true, setRequestId: () => undefined,
    route: {} as never, service: null, params: null, consumer: null as Consumer | null, credentialId: null as string | null,
    chain: null as Chain | null, errorMessage: null as string | null, trace: [] as string[], cancelled: false, outcome,
    authenticate(c: Consumer, id: string | null) {
      h.consumer = c;
      h.credentialId = id;
    },
    setUpstreamHeader() {}, setUpstreamQuery() {}, addResponseHeader() {}, removeResponseHeader() {}, hideConsumerGroups: false, setUpstreamPath() {}, getResponseHeader: () => undefined, upstreamResponseHeaders: () => [],
    setUpstreamMethod() {}, setUpstream() {}, setTarget() {}, limitRequestBody() {}, authenticatedGroups: null, requestBody: null, setRequestBody() {},
    accessCancelled: () => h.cancelled,
    accessPassed: () => settle('passed'),
    accessRejected: (r: PluginResponse) => settle('rejected ' + r.status),
    accessFailed: (e: Error) => settle('failed ' + e.message),
  };
  return h;
}

const step = (h: { trace: string[] }, name: string): Access => () => void h.trace.push(name);

describe('runAccess (shared by HTTP and WebSocket)', () => {
  it('runs sync handlers in order and passes', async () => {
    const h = host();
    const c = chain([step(h, 'a'), step(h, 'b')]);
    h.chain = c;
    runAccess(h, c, 0);
    expect(await h.outcome).toBe('passed');
    expect(h.trace).toEqual(['a', 'b']);
  });

  it('stops at a sync or async rejection, and at a throw or a rejected promise', async () => {
    const a = host();
    runAccess(a, chain([() => ({ status: 401 }), step(a, 'never')]), 0);
    expect(await a.outcome).toBe('rejected 401');
    expect(a.trace).toEqual([]);
    const b = host();
    runAccess(b, chain([step(b, 'x'), () => Promise.resolve({ status: 429 }), step(b, 'never')]), 0);
    expect(await b.outcome).toBe('rejected 429');
    expect(b.trace).toEqual(['x']);
    const c = host();
    runAccess(c, chain([() => { throw new Error('boom'); }]), 0);
    expect(await c.outcome).toBe('failed boom');
    const d = host();
    runAccess(d, chain([() => Promise.reject(new Error('late boom'))]), 0);
    expect(await d.outcome).toBe('failed late boom');
  });

  it('resumes after an async handler, and drops its result once the request is over', async () => {
    const h = host();
    runAccess(h, chain([() => Promise.resolve(), step(h, 'after')]), 0);
    expect(await h.outcome).toBe('passed');
    expect(h.trace).toEqual(['after']);
    const gone = host();
    let release!: () => void;
    runAccess(gone, chain([() => new Promise<void>((r) => (release = r)), step(gone, 'after')]), 0);
    gone.cancelled = true;
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(gone.trace).toEqual([]);
  });

  it("switches to the consumer's chain after authentication, at the same priority point (sync and async auth)", async () => {
    for (const async of [false, true]) {
      const h = host();
      const alice = { id: 'alice-id' } as Consumer;
      const auth: Access = (ctx) => {
        ctx.authenticate(alice, 'cred', false);
        return async ? Promise.resolve() : undefined;
      };
      const own = chain([step(h, 'own-before-auth'), step(h, 'own-after-auth')], { priorities: [2000, 900] });
      const base = chain([auth, step(h, 'base-after-auth')], { priorities: [1250, 900], auth: [true, false], byConsumer: new Map([['alice-id', own]]) });
      h.chain = base;
      runAccess(h, base, 0);
      expect(await h.outcome).toBe('passed');
      expect(h.trace).toEqual(['own-after-auth']);
      expect(h.chain).toBe(own);
    }
  });
});

describe('pushConsumerHeaders', () => {
  const consumers = { groups: () => ['admins', 'staff'] } as unknown as ConsumerIndex;
  const c = { id: 'id-1', custom_id: 'c-1', username: 'alice' } as Consumer;
  it('sends the X-Consumer-* set, groups unless hidden', () => {
    const out: string[] = [];
    pushConsumerHeaders(out, c, 'cred-1', false, false, consumers);
    expect(out).toEqual(['x-consumer-id', 'id-1', 'x-consumer-custom-id', 'c-1', 'x-consumer-username', 'alice', 'x-credential-identifier', 'cred-1', 'x-consumer-groups', 'admins, staff']);
    const hidden: string[] = [];
    pushConsumerHeaders(hidden, c, null, true, true, consumers);
    expect(hidden).toEqual(['x-anonymous-consumer', 'true', 'x-consumer-id', 'id-1', 'x-consumer-custom-id', 'c-1', 'x-consumer-username', 'alice']);
  });
});

// ---- WsUpgrade phases --------------------------------------------------------------------

let wss: WebSocketServer;
let upstreamPort = 0;
let upstreamConnections = 0;

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', () => upstreamConnections++);
  await new Promise<void>((r) => wss.once('listening', () => r()));
  upstreamPort = (wss.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
});

/** A uWS HttpResponse stand-in: records what is written; `upgrade` opens the client side. */
class FakeResponse {
  status = '';
  headers: Array<[string, string]> = [];
  body: string | null = null;
  upgraded = false;
  getRemoteAddress(): ArrayBuffer {
    return new Uint8Array([127, 0, 0, 1]).buffer;
  }
  getRemoteAddressAsText(): ArrayBuffer {
    return new TextEncoder().encode('127.0.0.1').buffer as ArrayBuffer;
  }
  onAborted(): void {}
  cork(fn: () => void): void {
    fn();
  }
  writeStatus(s: string): void {
    this.status = s;
  }
  /** As uWS on the wire: `k: v\r\n` verbatim, so CRLF-joined lines in `v` are headers of their own. */
  writeHeader(k: string, v: string): void {
    const lines = v.split('\r\n');
    this.headers.push([k.toLowerCase(), lines[0]!]);
    for (const l of lines.slice(1)) {
      const colon = l.indexOf(': ');
      this.headers.push([l.slice(0, colon).toLowerCase(), l.slice(colon + 2)]);
    }
  }
  end(body: string | Buffer): void {
    this.body = body.toString();
  }
  upgrade(data: WsUserData): void {
    this.upgraded = true;
    const client = { cork: (f: () => void) => f(), end: () => {}, close: () => {}, send: () => 1, ping: () => {}, getBufferedAmount: () => 0 };
    data.relay.onClientOpen(client as never);
  }
  header(name: string): string | undefined {
    return this.headers.find(([k]) => k === name)?.[1];
  }
}

function fakeRequest(url: string, headers: Record<string, string>): unknown {
  return {
    getCaseSensitiveMethod: () => 'GET',
    getUrl: () => url,
    getQuery: () => '',
    forEach: (cb: (k: string, v: string) => void) => {
      for (const k in headers) cb(k, headers[k]!);
    },
    getHeader: (k: string) => headers[k] ?? '',
  };
}

function wsProxy(routeChain: Chain, servicePort = upstreamPort): WebSocketProxy {
  const r = loadConfigString(`_format_version: "3.0"\nservices:\n  - name: up\n    url: ws://127.0.0.1:${servicePort}\n    routes:\n      - name: r\n        paths: [/r]\n`, 'gw.yaml', { env: {} });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  const snapshot = compile(r.config, { pools: new PoolRegistry() });
  snapshot.routes[0]!.chain = routeChain;
  const state = { snapshot, port: 8000, portText: '8000', tls: false, maxHeaderBytes: 16384, onFinish: () => {}, inFlight: 0, idPrefix: 'ab', idCounter: 0 } as unknown as ProxyState;
  const counter = { inc: () => {} };
  const metrics = { toUpstreamMessages: counter, toUpstreamBytes: counter, toClientMessages: counter, toClientBytes: counter };
  return new WebSocketProxy(state, { record: () => {} } as never, null, metrics as never);
}

function start(proxy: WebSocketProxy): { res: FakeResponse; conn: WsUpgrade } {
  const res = new FakeResponse();
  const conn = new WsUpgrade(proxy, res as never);
  const headers = { host: 'gw.test', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' };
  conn.handle(fakeRequest('/r/x', headers) as never, {} as never);
  return { res, conn };
}

async function until(pred: () => boolean): Promise<void> {
  while (!pred()) await new Promise((r) => setTimeout(r, 5));
}

describe('WsUpgrade plugin phases', () => {
  it('an accepted upgrade: header phase on the 101 (its headers written), log phase only at close, with 101', async () => {
    const logs: LogInfo[] = [];
    const headerStatuses: number[] = [];
    let seenInHeaderPhase: string | undefined;
    const c = chain([(ctx) => ctx.addResponseHeader('X-From-Access', 'yes')], {
      header: [(ctx, status) => {
        headerStatuses.push(status);
        seenInHeaderPhase = ctx.getResponseHeader?.('X-From-Access');
        ctx.addResponseHeader('X-From-Header', String(status));
      }],
      log: [(_ctx, info) => void logs.push(info)],
    });
    const before = upstreamConnections;
    const { res, conn } = start(wsProxy(c));
    await until(() => res.upgraded);
    expect(upstreamConnections).toBe(before + 1);
    expect(res.status).toBe('101 Switching Protocols');
    expect(res.header('x-from-access')).toBe('yes');
    expect(res.header('x-from-header')).toBe('101');
    expect(headerStatuses).toEqual([101]);
    expect(seenInHeaderPhase).toBe('yes');
    expect(logs).toEqual([]);
    conn.relay!.onClientClose(1000, new ArrayBuffer(0));
    expect(logs).toHaveLength(1);
    expect(logs[0]!.status).toBe(101);
    expect(logs[0]!.upstreamLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it("a plugin's setTarget sends the upstream handshake to that host:port instead of the service's", async () => {
    const c = chain([(ctx) => ctx.setTarget('127.0.0.1', upstreamPort)]);
    const before = upstreamConnections;
    // The service points at port 1 (nothing listens): only the override reaches the upstream.
    const { res, conn } = start(wsProxy(c, 1));
    await until(() => res.upgraded || res.status !== '');
    expect(res.status).toBe('101 Switching Protocols');
    expect(upstreamConnections).toBe(before + 1);
    expect(conn.upstream?.peer?.port).toBe(upstreamPort);
    conn.relay!.onClientClose(1000, new ArrayBuffer(0));
  });

  it('a refused upgrade: plugin status, JSON body, plugin and header-phase headers, log phase once, no upstream', async () => {
    const logs: LogInfo[] = [];
    const c = chain([(ctx) => {
      ctx.addResponseHeader('RateLimit-Remaining', '0');
      return { status: 429, message: 'API rate limit exceeded', headers: { 'Retry-After': '7' } };
    }], { header: [(ctx, status) => ctx.addResponseHeader('X-Status-Seen', String(status) + ' ' + ctx.getResponseHeader?.('retry-after'))], log: [(_ctx, info) => void logs.push(info)] });
    const before = upstreamConnections;
    const { res, conn } = start(wsProxy(c));
    expect(res.status).toBe('429 Too Many Requests');
    expect(JSON.parse(res.body!)).toEqual({ message: 'API rate limit exceeded', request_id: conn.requestId });
    expect(res.header('retry-after')).toBe('7');
    expect(res.header('ratelimit-remaining')).toBe('0');
    expect(res.header('x-status-seen')).toBe('429 7');
    expect(logs.map((l) => l.status)).toEqual([429]);
    await new Promise((r) => setTimeout(r, 50));
    expect(upstreamConnections).toBe(before);
    expect(res.upgraded).toBe(false);
  });
});
