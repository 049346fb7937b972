/**
 * The wrapping clients of src/upstream/ (retry.ts → balanced.ts → passive-health.ts → H1Pool),
 * composed as snapshot/compile.ts composes them, against real sockets on 127.0.0.1: which
 * failures are retried on another peer, what passive health counts, in-flight counts, and that
 * their per-request handlers are reused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { Readable } from 'node:stream';
import { RoundRobin } from '../../../src/upstream/balancer.js';
import { BalancedClient, type ServiceRequest } from '../../../src/upstream/balanced.js';
import { UpstreamErrorKind, type UpstreamClient, type UpstreamHandler, type UpstreamRequest } from '../../../src/upstream/client.js';
import { H1Pool } from '../../../src/upstream/h1/pool.js';
import { PassiveHealth, newHealth } from '../../../src/upstream/health.js';
import { PassiveHealthClient } from '../../../src/upstream/passive-health.js';
import type { Peer } from '../../../src/upstream/peer.js';
import { RetryClient } from '../../../src/upstream/retry.js';
import { serviceClient } from '../../../src/snapshot/peers.js';

const servers: net.Server[] = [];
const pools: H1Pool[] = [];

/** A raw upstream answering every request with `response`. */
async function upstream(response: string | ((sock: net.Socket) => void)): Promise<number> {
  const server = net.createServer((sock) => {
    sock.on('error', () => undefined);
    sock.on('data', () => (typeof response === 'string' ? sock.write(response) : response(sock)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Records the handler objects a client is given (to see the wrappers' reuse). */
class Recording implements UpstreamClient {
  readonly returnsBodies = true;
  readonly handlers: UpstreamHandler[] = [];
  constructor(private readonly inner: UpstreamClient) {}
  dispatch(req: UpstreamRequest, h: UpstreamHandler): boolean {
    this.handlers.push(h);
    return this.inner.dispatch(req, h);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

function peer(port: number, passive: PassiveHealth | null): Peer & { recording: Recording } {
  const pool = new H1Pool(`http://127.0.0.1:${port}`, { connectTimeout: 2000, headersTimeout: 0, bodyTimeout: 0 });
  pools.push(pool);
  const recording = new Recording(pool);
  const p = { host: '127.0.0.1', port, origin: `http://127.0.0.1:${port}`, addr: `127.0.0.1:${port}`, hostHeader: `127.0.0.1:${port}`, weight: 100, pool, client: recording as UpstreamClient, active: 0, healthy: true, health: newHealth(), passive, recording };
  if (passive !== null) p.client = new PassiveHealthClient(recording, p, passive);
  return p;
}

const passiveConf = () =>
  new PassiveHealth({
    type: 'http',
    healthy: { http_statuses: [200], successes: 1 },
    unhealthy: { http_statuses: [500], http_failures: 5, tcp_failures: 5, timeouts: 5 },
  } as unknown as ConstructorParameters<typeof PassiveHealth>[0]);

interface Outcome {
  status: number;
  body: string;
  error: UpstreamErrorKind | null;
  attempts: number;
  request: ServiceRequest;
}

function send(client: UpstreamClient<ServiceRequest>, over: Partial<ServiceRequest> = {}, handler: Partial<UpstreamHandler> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const req: ServiceRequest = { path: '/', method: 'GET', headers: ['host', ''], body: null, hostAt: 1, hash: null, peer: null, replayable: true, ...over };
    const out: Outcome = { status: 0, body: '', error: null, attempts: 0, request: req };
    client.dispatch(req, {
      onAttempt: () => void out.attempts++,
      onHeaders(status) {
        out.status = status;
        return true;
      },
      onData(chunk) {
        out.body += chunk.toString();
        return true;
      },
      onComplete: () => resolve(out),
      onError(_err, kind) {
        out.error = kind;
        resolve(out);
      },
      ...handler,
    });
  });
}

let okPort = 0;
let dead = 0;
beforeAll(async () => {
  okPort = await upstream('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  dead = await deadPort();
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  for (const s of servers) s.close();
});

describe('retry → balanced → peer client', () => {
  it('a refused connection is retried on the next peer, whose Host header it gets', async () => {
    const a = peer(dead, null);
    const b = peer(okPort, null);
    const client = new RetryClient(new BalancedClient(new RoundRobin([a, b])), 2);
    const r = await send(client);
    expect(r.error).toBeNull();
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok');
    expect(r.attempts).toBe(2);
    expect(r.request.headers![1]).toBe(b.hostHeader);
    expect(a.active + b.active).toBe(0);
  });

  it('not retried when the request is not replayable, or with retries: 0', async () => {
    const a = peer(dead, null);
    const b = peer(okPort, null);
    const client = new RetryClient(new BalancedClient(new RoundRobin([a, b])), 2);
    const r = await send(client, { replayable: false, method: 'POST', body: Readable.from([Buffer.from('x')]) });
    expect(r.error).toBe(UpstreamErrorKind.Connect);
    expect(r.attempts).toBe(1);
    const none = new RetryClient(new BalancedClient(new RoundRobin([peer(dead, null), peer(okPort, null)])), 0);
    expect((await send(none)).error).toBe(UpstreamErrorKind.Connect);
    // As compiled: retries: 0 leaves the retry layer out, with the same outcome.
    const flat = serviceClient(new RoundRobin([peer(dead, null), peer(okPort, null)]), 0);
    expect(flat).toBeInstanceOf(BalancedClient);
    expect((await send(flat)).error).toBe(UpstreamErrorKind.Connect);
    expect(serviceClient(new RoundRobin([peer(okPort, null)]), 1)).toBeInstanceOf(RetryClient);
  });

  it('not retried once a byte of response arrived', async () => {
    const partial = await upstream((sock) => {
      sock.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\npar');
      setTimeout(() => sock.destroy(), 10);
    });
    const client = new RetryClient(new BalancedClient(new RoundRobin([peer(partial, null), peer(okPort, null)])), 3);
    const r = await send(client);
    expect(r.attempts).toBe(1);
    expect(r.error).toBe(UpstreamErrorKind.ResetAfterResponse);
  });

  it('not retried when the caller ended the request (cancelled)', async () => {
    const client = new RetryClient(new BalancedClient(new RoundRobin([peer(dead, null), peer(okPort, null)])), 3);
    const r = await send(client, {}, { cancelled: true });
    expect(r.attempts).toBe(1);
    expect(r.error).toBe(UpstreamErrorKind.Connect);
  });

  it('NoPeer when every peer is unhealthy', async () => {
    const a = peer(okPort, null);
    a.healthy = false;
    const r = await send(new RetryClient(new BalancedClient(new RoundRobin([a])), 3));
    expect(r.error).toBe(UpstreamErrorKind.NoPeer);
    expect(r.attempts).toBe(0);
  });

  it('reuses its handlers: sequential requests hand the pool the same wrapper object', async () => {
    const a = peer(okPort, passiveConf());
    const client = new RetryClient(new BalancedClient(new RoundRobin([a])), 1);
    for (let i = 0; i < 3; i++) expect((await send(client)).status).toBe(200);
    expect(a.recording.handlers).toHaveLength(3);
    expect(new Set(a.recording.handlers).size).toBe(1);
  });
});

describe('passive health', () => {
  it('counts final statuses, connection failures, and nothing the caller cancelled', async () => {
    const failing = await upstream('HTTP/1.1 500 Oops\r\ncontent-length: 0\r\n\r\n');
    const p500 = peer(failing, passiveConf());
    const c = new BalancedClient(new RoundRobin([p500]));
    await send(c);
    await send(c);
    expect(p500.health.httpFailures).toBe(2);

    const down = peer(dead, passiveConf());
    const cd = new BalancedClient(new RoundRobin([down]));
    await send(cd);
    expect(down.health.tcpFailures).toBe(1);
    await send(cd, {}, { cancelled: true });
    expect(down.health.tcpFailures).toBe(1);
    await send(cd, {}, { forwarded: true });
    expect(down.health.tcpFailures).toBe(1);
    expect(down.active).toBe(0);
  });
});
