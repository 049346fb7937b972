/**
 * policy: local is node-wide: with --workers 2 every worker thread counts in the same shared
 * memory. Requests go over fresh connections so that the kernel (SO_REUSEPORT) spreads them over
 * both workers; the access log shows which worker served each one.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let up: Upstream;
let gw: GatewayProcess;

beforeAll(async () => {
  up = await startUpstream();
  gw = await startGateway(
    `
_format_version: "3.0"
services:
  - name: api
    url: ${up.url}
    routes:
      - { name: shared-rl, paths: [/shared-rl], plugins: [{ name: rate-limiting, config: { year: 30, limit_by: ip } }] }
      - { name: shared-thr, paths: [/shared-thr], plugins: [{ name: throttling, config: { rate: 0.001, burst: 10 } }] }
`,
    { workers: 2 },
  );
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

/** GET on a new connection (no keep-alive agent): each request may land on either worker. */
function freshGet(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(`${gw.url}${path}`, { agent: false, headers: { connection: 'close' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      })
      .on('error', reject);
  });
}

async function burst(path: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let wave = 0; wave < n; wave += 20) {
    statuses.push(...(await Promise.all(Array.from({ length: Math.min(20, n - wave) }, () => freshGet(path)))));
  }
  return statuses;
}

function workersServing(path: string): Set<unknown> {
  return new Set(gw.logs().filter((l) => l.msg === 'access' && l.path === path).map((l) => l.worker));
}

describe('node-wide counters with --workers 2', () => {
  it('rate-limiting: 40 requests on fresh connections against a limit of 30 → exactly 30 pass', async () => {
    const statuses = await burst('/shared-rl', 40);
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    await gw.waitForLog(() => gw.logs().filter((l) => l.msg === 'access' && l.path === '/shared-rl').length === 40);
    expect(workersServing('/shared-rl')).toEqual(new Set([0, 1]));
  });

  it('throttling: a burst of 10 shared by both workers → exactly 10 of 30 pass', async () => {
    const statuses = await burst('/shared-thr', 30);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    await gw.waitForLog(() => gw.logs().filter((l) => l.msg === 'access' && l.path === '/shared-thr').length === 30);
    expect(workersServing('/shared-thr')).toEqual(new Set([0, 1]));
  });
});
