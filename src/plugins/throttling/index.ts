import { createHash } from 'node:crypto';
import type { PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { SharedTable, hash32, nowSeconds2020, sharedRegion } from '../shared-memory.js';

interface Conf {
  rate: number;
  burst: number;
  limit_by: 'route' | 'consumer';
}

/** Bucket entries: [tag, check, expires, pad, tat (BigInt64: µs since the Unix epoch)]. */
const STRIDE = 6;
const tables = new WeakMap<SharedArrayBuffer, { table: SharedTable; tat: BigInt64Array }>();

function bucketTable(shared: SharedArrayBuffer): { table: SharedTable; tat: BigInt64Array } {
  let t = tables.get(shared);
  if (t === undefined) {
    const region = sharedRegion(shared, 'throttling');
    t = { table: new SharedTable(region, STRIDE), tat: new BigInt64Array(region.buffer, region.byteOffset, region.byteLength / 8) };
    tables.set(shared, t);
  }
  return t;
}

const EPOCH_2020_US = 1577836800000 * 1000;

/**
 * throttling (not a Kong plugin; Amazon API Gateway's throttling). The token bucket is kept as
 * GCRA's "theoretical arrival time" (TAT): one 64-bit word per bucket, updated with a
 * compare-and-swap loop, so all worker threads share one bucket without locks. With
 * T = 1/rate and τ = burst·T, a request at time t is allowed when max(TAT, t) + T − t ≤ τ, and
 * then TAT becomes max(TAT, t) + T: exactly a bucket of `burst` tokens refilled at `rate`/s.
 */
export const throttling: PluginDefinition = {
  name: 'throttling',
  priority: 905,
  schema: pluginSchema('throttling'),
  create(instance, ctx) {
    const conf = instance.config as unknown as Conf;
    const identity = createHash('sha256').update(instance.id + '\u0000' + JSON.stringify(conf)).digest('hex');
    const seedA = hash32(identity, 3);
    const seedB = hash32(identity, 4);
    const { table, tat } = bucketTable(ctx.shared);
    const T = conf.rate > 0 ? 1e6 / conf.rate : Infinity;
    const tau = conf.burst * T;
    const never = conf.rate <= 0 || conf.burst <= 0;
    const rejectFor = (s: number): PluginResponse => ({ status: 429, message: 'Too Many Requests', headers: { 'Retry-After': String(s) } });
    const rejectForever = rejectFor(1);
    const byConsumer = conf.limit_by === 'consumer';
    return {
      access(req) {
        if (never) return rejectForever;
        const key = byConsumer ? (req.consumer?.id ?? req.clientIp) : req.route.id;
        const nowUs = (performance.timeOrigin + performance.now()) * 1000;
        const nowSec = nowSeconds2020(nowUs / 1000);
        const e = table.entry(hash32(key, seedA), hash32(key, seedB), nowSec + 1, nowSec);
        if (e < 0) return;
        const w = (e + 4) >> 1;
        for (;;) {
          const old = Atomics.load(tat, w);
          const base = Math.max(Number(old), nowUs);
          const next = base + T;
          if (next - nowUs > tau) return rejectFor(Math.max(1, Math.ceil((next - tau - nowUs) / 1e6)));
          if (Atomics.compareExchange(tat, w, old, BigInt(Math.ceil(next))) === old) {
            // Reclaimable once the bucket is full again (then it is as good as a fresh one).
            Atomics.store(table.i32, e + 2, Math.ceil((next - EPOCH_2020_US) / 1e6) + 1);
            return;
          }
        }
      },
    };
  },
};
