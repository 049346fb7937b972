import { parentPort } from 'node:worker_threads';
import type { Redis, RedisOptions } from 'ioredis';
import { ioredis } from '../../lazy.js';

export interface RedisSettings {
  host: string;
  port: number;
  timeout: number;
  username: string | null;
  password: string | null;
  database: number;
  ssl: boolean;
  sslVerify: boolean;
  serverName: string | null;
}

/**
 * Counts a request in every window atomically (one round trip): INCR each key, give a new key
 * its TTL, and if any window is over its limit take the request back out of all of them.
 * KEYS = one per window; ARGV = TTLs (ms), then limits. Returns the counts including this request.
 */
const SCRIPT = `
local n = #KEYS
local counts = {}
local over = false
for i = 1, n do
  local c = redis.call('INCR', KEYS[i])
  if c == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[i]) end
  counts[i] = c
  if c > tonumber(ARGV[n + i]) then over = true end
end
if over then
  for i = 1, n do redis.call('DECR', KEYS[i]) end
end
return counts
`;

export type CountingRedis = Redis & { sluiceRateLimit(numKeys: number, ...args: Array<string | number>): Promise<number[]> };

/** Warnings from plugins go to stdout as pino-style JSON lines (SPEC §8), at most one per 10 s per client. */
export function warn(msg: string, fields: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ level: 'warn', time: Date.now(), plugin: 'rate-limiting', msg, ...fields }) + '\n');
}

const clients = new Set<Redis>();

/** A draining worker closes its parent port: let go of Redis so the thread can exit. */
function disconnectAll(): void {
  for (const c of clients) c.disconnect();
  clients.clear();
}

/**
 * One client per Redis endpoint (host, port, database, user, TLS). Kept in plugin state so it
 * survives reloads, and made on the first request (so `sluice validate` never connects).
 * A command waits for a connection in progress, but fails as soon as a (re)connection attempt
 * fails (maxRetriesPerRequest 0) or after `timeout` ms: the plugin then applies fault_tolerant.
 */
export function redisClient(s: RedisSettings): CountingRedis {
  const opts: RedisOptions = {
    host: s.host,
    port: s.port,
    db: s.database,
    connectTimeout: s.timeout,
    commandTimeout: s.timeout,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(100 * times, 1000),
    lazyConnect: false,
  };
  if (s.username !== null) opts.username = s.username;
  if (s.password !== null) opts.password = s.password;
  if (s.ssl) opts.tls = { rejectUnauthorized: s.sslVerify, ...(s.serverName !== null ? { servername: s.serverName } : {}) };
  const client = new (ioredis().Redis)(opts) as CountingRedis;
  if (clients.size === 0) parentPort?.once('close', disconnectAll);
  clients.add(client);
  client.defineCommand('sluiceRateLimit', { lua: SCRIPT });
  let lastWarn = 0;
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastWarn < 10_000) return;
    lastWarn = now;
    warn('redis connection error', { redis: `${s.host}:${s.port}/${s.database}`, error: err.message });
  });
  return client;
}
