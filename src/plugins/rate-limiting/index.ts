import { createHash } from 'node:crypto';
import type { PluginConfigProblem, PluginContext, PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { hash32 } from '../shared-memory.js';
import { PERIODS, WindowClock } from './windows.js';
import { countWindows, counterTable, identifierHashes, windowKeys, type WindowKeys } from './local.js';
import { nowSeconds2020 } from '../shared-memory.js';
import { redisClient, warn, type CountingRedis, type RedisSettings } from './redis.js';

interface RedisConf {
  host: string | null;
  port: number;
  timeout: number;
  username: string | null;
  password: string | null;
  database: number;
  ssl: boolean;
  ssl_verify: boolean;
  server_name: string | null;
}

interface Conf {
  second: number | null;
  minute: number | null;
  hour: number | null;
  day: number | null;
  month: number | null;
  year: number | null;
  limit_by: 'consumer' | 'credential' | 'ip' | 'service' | 'header' | 'path';
  header_name: string | null;
  path: string | null;
  policy: 'local' | 'redis';
  fault_tolerant: boolean;
  hide_client_headers: boolean;
  error_code: number;
  error_message: string;
  redis: RedisConf;
  redis_host?: string | null;
  redis_port?: number | null;
  redis_timeout?: number | null;
  redis_username?: string | null;
  redis_password?: string | null;
  redis_database?: number | null;
  redis_ssl?: boolean | null;
  redis_ssl_verify?: boolean | null;
  redis_server_name?: string | null;
}

const TITLE = ['Second', 'Minute', 'Hour', 'Day', 'Month', 'Year'];
const LIMIT_HEADER = TITLE.map((t) => `X-RateLimit-Limit-${t}`);
const REMAINING_HEADER = TITLE.map((t) => `X-RateLimit-Remaining-${t}`);
const LIMIT_BY = ['ip', 'consumer', 'credential', 'service', 'header', 'path'];
const [, BY_CONSUMER, BY_CREDENTIAL, BY_SERVICE, BY_HEADER, BY_PATH] = [0, 1, 2, 3, 4, 5] as const;
/** Identifiers whose hashes a rate-limiting instance keeps (then it starts over). */
const ID_CACHE_MAX = 4096;
const INTERNAL: PluginResponse = { status: 500, message: 'An unexpected error occurred' };

/**
 * String(n), faster for integers past 1e9 (the hour/day/month/year limits of big APIs): V8
 * formats those as doubles (~3x slower here); two small-integer conversions do the same.
 */
export function countText(n: number): string {
  if (n < 1e9 || n > Number.MAX_SAFE_INTEGER || n !== Math.floor(n)) return String(n);
  const hi = Math.floor(n / 1e9);
  return String(hi) + String(n - hi * 1e9 + 1e9).slice(1);
}

/** Kong 3.8 moved redis_* under `redis`; both are accepted, a set redis_* field wins. */
export function redisSettings(c: Conf): RedisSettings | null {
  const r = c.redis;
  const host = c.redis_host ?? r.host;
  if (host === null || host === undefined) return null;
  return {
    host,
    port: c.redis_port ?? r.port,
    timeout: c.redis_timeout ?? r.timeout,
    username: c.redis_username ?? r.username,
    password: c.redis_password ?? r.password,
    database: c.redis_database ?? r.database,
    ssl: c.redis_ssl ?? r.ssl,
    sslVerify: c.redis_ssl_verify ?? r.ssl_verify,
    serverName: c.redis_server_name ?? r.server_name,
  };
}

function check(config: Record<string, unknown>): PluginConfigProblem[] {
  const c = config as unknown as Conf;
  const out: PluginConfigProblem[] = [];
  const set = PERIODS.filter((p) => typeof c[p] === 'number');
  if (set.length === 0) out.push({ path: [], message: 'must set at least one limit: second, minute, hour, day, month or year' });
  for (let i = 0; i < PERIODS.length; i++) {
    const lower = c[PERIODS[i]!];
    if (typeof lower !== 'number') continue;
    for (let j = i + 1; j < PERIODS.length; j++) {
      const upper = c[PERIODS[j]!];
      if (typeof upper === 'number' && upper < lower) {
        out.push({ path: [PERIODS[j]!], message: `the limit for ${PERIODS[j]} (${upper}) cannot be lower than the limit for ${PERIODS[i]} (${lower})` });
      }
    }
  }
  if (c.limit_by === 'header' && (c.header_name ?? null) === null) out.push({ path: ['header_name'], message: 'is required when limit_by is header' });
  if (c.limit_by === 'path' && (c.path ?? null) === null) out.push({ path: ['path'], message: 'is required when limit_by is path' });
  if (c.policy === 'redis' && redisSettings(c) === null) out.push({ path: ['redis', 'host'], message: 'is required when policy is redis (or redis_host)' });
  return out;
}

/**
 * rate-limiting (Kong priority 910). Fixed windows as Kong (UTC second … year). `policy: local`
 * counts in the node-wide shared memory, so every worker thread sees one count; `policy: redis`
 * counts in Redis with one atomic script call per request, shared by every node.
 */
export const rateLimiting: PluginDefinition = {
  name: 'rate-limiting',
  priority: 910,
  schema: pluginSchema('rate-limiting'),
  check,
  create(instance, ctx) {
    const conf = instance.config as unknown as Conf;
    const periods: number[] = [];
    const limits: number[] = [];
    for (let i = 0; i < PERIODS.length; i++) {
      const v = conf[PERIODS[i]!];
      if (typeof v === 'number') {
        periods.push(i);
        limits.push(v);
      }
    }
    const n = periods.length;
    // Identity of the counters: this instance and its configuration. Same config after a reload
    // → same counters; a changed config starts from zero.
    const identity = createHash('sha256').update(instance.id + '\u0000' + JSON.stringify(conf)).digest('hex');
    const seedA = hash32(identity, 1);
    const seedB = hash32(identity, 2);
    const keyPrefix = `ratelimit:${identity.slice(0, 24)}:`;
    const headerName = conf.header_name?.toLowerCase() ?? '';
    const limitPath = conf.path;
    const limitBy = LIMIT_BY.indexOf(conf.limit_by);
    const hide = conf.hide_client_headers;
    // Everything about the response headers that does not depend on the counts, made once.
    const limitHeader = periods.map((p) => LIMIT_HEADER[p]!);
    const remainingHeader = periods.map((p) => REMAINING_HEADER[p]!);
    const limitText = limits.map(String);
    const error = conf.error_message;
    const code = conf.error_code;

    const identifier = (req: PluginContext): string => {
      switch (limitBy) {
        case BY_CONSUMER:
          return req.consumer?.id ?? req.credentialId ?? req.clientIp;
        case BY_CREDENTIAL:
          return req.credentialId ?? req.clientIp;
        case BY_SERVICE:
          return req.service?.id ?? req.clientIp;
        case BY_HEADER:
          return req.header(headerName) ?? req.clientIp;
        case BY_PATH:
          return req.path === limitPath ? req.path : req.clientIp;
        default:
          return req.clientIp;
      }
    };

    // The windows of the current second (see WindowClock): bounds, the window halves of the
    // counter keys, and each window's RateLimit-Reset (whole seconds to its end, the same for
    // every millisecond of a second), recomputed when the second changes.
    const clock = new WindowClock();
    const starts = new Array<number>(n).fill(0);
    const ends = new Array<number>(n).fill(0);
    const resets = new Array<number>(n).fill(1);
    const resetText = new Array<string>(n).fill('1');
    const keys: WindowKeys = { a: new Array<number>(n).fill(0), b: new Array<number>(n).fill(0), expires: new Array<number>(n).fill(0) };
    const redisSuffix = new Array<string>(n).fill('');
    let nowSec = 0;
    const tick = (now: number): void => {
      if (!clock.update(now)) return;
      const second = clock.second;
      nowSec = nowSeconds2020(second);
      for (let i = 0; i < n; i++) {
        starts[i] = clock.starts[periods[i]!]!;
        ends[i] = clock.ends[periods[i]!]!;
        // ceil((end - now) / 1000) for any now in this second, as Kong's reset
        resets[i] = Math.max(1, (ends[i]! - second) / 1000);
        resetText[i] = String(resets[i]);
        redisSuffix[i] = ':' + starts[i] + ':' + PERIODS[periods[i]!];
      }
      windowKeys(periods, starts, ends, keys);
    };

    // Scratch arrays reused by every request (access is synchronous for policy local).
    const counts = new Array<number>(n).fill(0);
    const entries = new Array<number>(n).fill(0);
    const remText = new Array<string>(n).fill('');

    /**
     * Headers and the verdict from the counts (usage including this request) — Kong's rules.
     * `rs`/`rsText`: each window's reset in seconds, and as text.
     */
    const finish = (req: PluginContext, cnt: readonly number[], stop: number, rs: readonly number[], rsText: readonly string[]): PluginResponse | undefined => {
      if (hide && stop < 0) return undefined;
      let remaining = 0;
      let window = -1;
      for (let i = 0; i < n; i++) {
        // A rejected request was taken back out: others' remaining are one higher.
        let rem = limits[i]! - cnt[i]! + (stop >= 0 && i !== stop ? 1 : 0);
        if (rem < 0) rem = 0;
        if (window < 0 || rem < remaining || (rem === remaining && periods[i]! > periods[window]!)) {
          remaining = rem;
          window = i;
        }
        if (!hide) {
          const t = countText(rem);
          remText[i] = t;
          req.addResponseHeader(limitHeader[i]!, limitText[i]!);
          req.addResponseHeader(remainingHeader[i]!, t);
        }
      }
      if (!hide) {
        req.addResponseHeader('RateLimit-Limit', limitText[window]!);
        req.addResponseHeader('RateLimit-Remaining', remText[window]!);
        req.addResponseHeader('RateLimit-Reset', rsText[window]!);
      }
      if (stop < 0) return undefined;
      return { status: code, message: error, headers: { 'Retry-After': rsText[window]! } };
    };

    if (conf.policy === 'local') {
      const table = counterTable(ctx.shared);
      // The identifier's two hashes, by identifier: a Map lookup (V8 keeps a string's own hash)
      // instead of two hash loops over a consumer id or an address per request. Bounded.
      const idHashes = new Map<string, Int32Array>();
      const hashesOf = (id: string): Int32Array => {
        let h = idHashes.get(id);
        if (h === undefined) {
          if (idHashes.size >= ID_CACHE_MAX) idHashes.clear();
          h = new Int32Array(2);
          identifierHashes(id, seedA, seedB, h);
          idHashes.set(id, h);
        }
        return h;
      };
      return {
        access(req) {
          tick(Date.now());
          const stop = countWindows(table, hashesOf(identifier(req)), keys, nowSec, limits, counts, entries);
          return finish(req, counts, stop, resets, resetText);
        },
      };
    }

    const settings = redisSettings(conf)!;
    const clientKey = `rate-limiting:redis:${settings.host}:${settings.port}:${settings.database}:${settings.username ?? ''}:${settings.ssl}:${createHash('sha256').update(settings.password ?? '').digest('hex').slice(0, 16)}`;
    const holder = ctx.state<{ client: CountingRedis | null }>(clientKey, () => ({ client: null }));
    const faultTolerant = conf.fault_tolerant;
    let lastWarn = 0;
    return {
      access(req) {
        const now = Date.now();
        tick(now);
        const id = identifier(req);
        // The windows as of now, kept for the answer (the clock may move on meanwhile).
        const rs = resets.slice();
        const rsText = resetText.slice();
        const args: Array<string | number> = [];
        for (let i = 0; i < n; i++) args.push(keyPrefix + id + redisSuffix[i]!);
        for (let i = 0; i < n; i++) args.push(Math.max(1, ends[i]! - now + 1000));
        for (let i = 0; i < n; i++) args.push(limits[i]!);
        holder.client ??= redisClient(settings);
        return holder.client.sluiceRateLimit(n, ...args).then(
          (cnt) => {
            let stop = -1;
            for (let i = 0; i < n; i++) if (cnt[i]! > limits[i]!) stop = i;
            return finish(req, cnt, stop, rs, rsText);
          },
          (err: Error) => {
            if (now - lastWarn >= 10_000) {
              lastWarn = now;
              warn(faultTolerant ? 'redis unavailable: request let through (fault_tolerant)' : 'redis unavailable: answering 500', { redis: `${settings.host}:${settings.port}`, error: err.message });
            }
            return faultTolerant ? undefined : INTERNAL;
          },
        );
      },
    };
  },
};
