/**
 * rate-limiting with policy: redis against a real redis-server (installed by CI): counts shared
 * by two gateway processes (two "nodes"), both config forms (Kong < 3.8 redis_* and 3.8 redis.*),
 * keys with a TTL, and fault_tolerant when Redis goes away mid-test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

let redis: ChildProcess;
let redisPort: number;
let up: Upstream;
let gw1: GatewayProcess;
let gw2: GatewayProcess;

async function startRedis(port: number): Promise<ChildProcess> {
  const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error('redis-server did not start: ' + out)), 10000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return proc;
}

function stopRedis(): Promise<void> {
  if (redis.exitCode !== null || redis.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((r) => redis.once('exit', () => r()));
  process.kill(redis.pid!, 'SIGKILL');
  return gone;
}

const config = (): string => `
_format_version: "3.0"
services:
  - name: api
    url: ${up.url}
    routes:
      - name: legacy
        paths: [/legacy]
        plugins: [{ name: rate-limiting, config: { year: 3, limit_by: ip, policy: redis, redis_host: 127.0.0.1, redis_port: ${redisPort}, redis_timeout: 500 } }]
      - name: nested
        paths: [/nested]
        plugins: [{ name: rate-limiting, config: { year: 100, limit_by: ip, policy: redis, fault_tolerant: false, redis: { host: 127.0.0.1, port: ${redisPort}, timeout: 500 } } }]
      - name: tolerant
        paths: [/tolerant]
        plugins: [{ name: rate-limiting, config: { year: 100, limit_by: ip, policy: redis, redis: { host: 127.0.0.1, port: ${redisPort}, timeout: 500 } } }]
`;

beforeAll(async () => {
  redisPort = await freePort();
  redis = await startRedis(redisPort);
  up = await startUpstream();
  gw1 = await startGateway(config());
  gw2 = await startGateway(config());
});

afterAll(async () => {
  await gw1?.stop();
  await gw2?.stop();
  await up?.close();
  if (redis) await stopRedis();
});

describe('rate-limiting policy: redis', () => {
  it('counts across gateway nodes, with headers, and answers 429 once the shared count is reached', async () => {
    const a = await fetch(`${gw1.url}/legacy`);
    expect(a.status).toBe(200);
    expect(a.headers.get('x-ratelimit-remaining-year')).toBe('2');
    const b = await fetch(`${gw2.url}/legacy`);
    expect(b.headers.get('x-ratelimit-remaining-year')).toBe('1');
    const c = await fetch(`${gw1.url}/legacy`);
    expect(c.headers.get('x-ratelimit-remaining-year')).toBe('0');
    const d = await fetch(`${gw2.url}/legacy`);
    expect(d.status).toBe(429);
    expect(await d.json()).toMatchObject({ message: 'API rate limit exceeded' });
    expect(Number(d.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Refused requests are taken back out: still 3, not 4.
    const client = new Redis({ host: '127.0.0.1', port: redisPort, lazyConnect: true });
    await client.connect();
    try {
      const keys = await client.keys('ratelimit:*');
      const counts = await Promise.all(keys.map((k) => client.get(k)));
      expect(counts).toContain('3');
      for (const k of keys) expect(await client.pttl(k)).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }
  });

  it('accepts Kong 3.8 redis.* fields', async () => {
    const r = await fetch(`${gw1.url}/nested`);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ratelimit-remaining-year')).toBe('99');
  });

  it('when Redis goes away: fault_tolerant lets requests through, otherwise 500', async () => {
    expect((await fetch(`${gw1.url}/tolerant`)).status).toBe(200);
    await stopRedis();
    const tolerant = await fetch(`${gw1.url}/tolerant`);
    expect(tolerant.status).toBe(200);
    expect(tolerant.headers.get('x-ratelimit-limit-year')).toBeNull();
    const strict = await fetch(`${gw1.url}/nested`);
    expect(strict.status).toBe(500);
    expect(await strict.json()).toMatchObject({ message: 'An unexpected error occurred' });
    await gw1.waitForLog((l) => l.level === 'warn' && l.plugin === 'rate-limiting');
  });
});
