import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { freePort, startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let a: Upstream;
let b: Upstream;
let failing: Upstream;
let gw: GatewayProcess | null = null;

const named = (name: string) => (_req: http.IncomingMessage, res: http.ServerResponse) => res.end(name);

beforeAll(async () => {
  a = await startUpstream(named('a'));
  b = await startUpstream(named('b'));
  failing = await startUpstream((_req, res) => {
    res.statusCode = 500;
    res.end('broken');
  });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close(), failing?.close()]);
});
afterEach(async () => {
  await gw?.stop();
  gw = null;
});

async function hits(g: GatewayProcess, path: string, n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await fetch(`${g.url}${path}`, { headers });
    const t = r.status === 200 ? await r.text() : `status ${r.status}`;
    out[t] = (out[t] ?? 0) + 1;
  }
  return out;
}

async function health(g: GatewayProcess, name: string): Promise<Record<string, string>> {
  const body = (await (await fetch(`${g.admin}/upstreams/${name}/health`)).json()) as { data: Array<{ target: string; health: string }> };
  return Object.fromEntries(body.data.map((d) => [d.target, d.health]));
}

async function until(pred: () => Promise<boolean>, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const svc = (upstream: string) => `_format_version: "3.0"\nservices:\n  - name: s\n    host: ${upstream}\n    retries: 0\n    routes:\n      - name: r\n        paths: [/]\n`;

describe('load balancing', () => {
  it('splits traffic by weight (3:1)', async () => {
    gw = await startGateway(svc('pool') + `upstreams:\n  - name: pool\n    targets:\n      - { target: 127.0.0.1:${a.port}, weight: 75 }\n      - { target: 127.0.0.1:${b.port}, weight: 25 }\n`);
    expect(await hits(gw, '/', 40)).toEqual({ a: 30, b: 10 });
  });

  it('consistent-hashing on a header keeps a key on one target', async () => {
    gw = await startGateway(svc('pool') + `upstreams:\n  - name: pool\n    algorithm: consistent-hashing\n    hash_on: header\n    hash_on_header: x-user\n    targets:\n      - { target: 127.0.0.1:${a.port} }\n      - { target: 127.0.0.1:${b.port} }\n`);
    const seen = new Set<string>();
    for (let u = 0; u < 20; u++) {
      const r = await hits(gw, '/', 5, { 'x-user': `user-${u}` });
      expect(Object.keys(r)).toHaveLength(1); // the same target every time
      seen.add(Object.keys(r)[0]!);
    }
    expect(seen).toEqual(new Set(['a', 'b'])); // and keys spread over both
  });
});

describe('health checks', () => {
  it('passive: a target answering 500 is taken out after http_failures, and shows UNHEALTHY', async () => {
    gw = await startGateway(
      svc('pool') +
        `upstreams:\n  - name: pool\n    targets:\n      - { target: 127.0.0.1:${a.port} }\n      - { target: 127.0.0.1:${failing.port} }\n    healthchecks:\n      passive:\n        unhealthy: { http_failures: 2, http_statuses: [500] }\n`,
    );
    const first = await hits(gw, '/', 10);
    expect(first['status 500']).toBe(2); // two failures, then it is out
    expect(first.a).toBe(8);
    expect(await hits(gw, '/', 10)).toEqual({ a: 10 });
    expect(await health(gw, 'pool')).toEqual({ [`127.0.0.1:${a.port}`]: 'HEALTHY', [`127.0.0.1:${failing.port}`]: 'UNHEALTHY' });
    // Health survives a reload that keeps the upstream.
    writeFileSync(gw.configPath, svc('pool').replace('paths: [/]', 'paths: [/]\n      - name: extra\n        paths: [/extra]') + `upstreams:\n  - name: pool\n    targets:\n      - { target: 127.0.0.1:${a.port} }\n      - { target: 127.0.0.1:${failing.port} }\n    healthchecks:\n      passive:\n        unhealthy: { http_failures: 2, http_statuses: [500] }\n`);
    await until(async () => (await fetch(`${gw!.url}/extra`)).status !== 404);
    expect(await hits(gw, '/', 6)).toEqual({ a: 6 });
  });

  it('503 when no target is healthy', async () => {
    gw = await startGateway(svc('pool') + `upstreams:\n  - name: pool\n    targets:\n      - { target: 127.0.0.1:${failing.port} }\n    healthchecks:\n      passive:\n        unhealthy: { http_failures: 1, http_statuses: [500] }\n`);
    expect((await fetch(`${gw.url}/`)).status).toBe(500);
    const r = await fetch(`${gw.url}/`);
    expect(r.status).toBe(503);
    expect(((await r.json()) as { message: string }).message).toBe('failure to get a peer from the ring-balancer');
  });

  it('active: probes take a dead target out and bring it back when it answers', async () => {
    const port = await freePort();
    gw = await startGateway(
      svc('pool') +
        `upstreams:\n  - name: pool\n    targets:\n      - { target: 127.0.0.1:${a.port} }\n      - { target: 127.0.0.1:${port} }\n    healthchecks:\n      active:\n        http_path: /health\n        timeout: 1\n        healthy: { interval: 1, successes: 1 }\n        unhealthy: { interval: 1, tcp_failures: 1, http_failures: 1 }\n`,
    );
    await until(async () => (await health(gw!, 'pool'))[`127.0.0.1:${port}`] === 'UNHEALTHY');
    expect(await hits(gw, '/', 6)).toEqual({ a: 6 });
    const revived = http.createServer((_req, res) => res.end('revived'));
    await new Promise<void>((r) => revived.listen(port, '127.0.0.1', r));
    try {
      await until(async () => (await health(gw!, 'pool'))[`127.0.0.1:${port}`] === 'HEALTHY');
      const after = await hits(gw, '/', 6);
      expect(after.revived).toBe(3);
    } finally {
      revived.closeAllConnections();
      await new Promise((r) => revived.close(r));
    }
  });
});
