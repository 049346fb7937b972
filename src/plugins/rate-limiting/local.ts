import { SharedTable, hash32, mix32, nowSeconds2020, sharedRegion } from '../shared-memory.js';

/** Counter entries: [tag, check, expires, count] (see SharedTable). */
const STRIDE = 4;
const tables = new WeakMap<SharedArrayBuffer, SharedTable>();

/** The node-wide counter table of rate-limiting (policy: local) in the shared memory. */
export function counterTable(shared: SharedArrayBuffer): SharedTable {
  let t = tables.get(shared);
  if (t === undefined) {
    t = new SharedTable(sharedRegion(shared, 'rate-limiting'), STRIDE);
    tables.set(shared, t);
  }
  return t;
}

/**
 * Counts a request in every window at once, across all worker threads: each counter is one
 * Atomics.add, so concurrent requests never both take the last unit. A rejected request is
 * taken back out of every window (Kong does not count blocked requests either).
 *
 * `counts[i]` receives the usage of window i including this request. Returns the index of the
 * window that is over its limit, or -1 when the request is allowed.
 */
export function countLocal(
  table: SharedTable,
  seedA: number,
  seedB: number,
  identifier: string,
  periods: readonly number[],
  limits: readonly number[],
  starts: readonly number[],
  ends: readonly number[],
  now: number,
  counts: number[],
  entries: number[],
): number {
  const i32 = table.i32;
  const id1 = hash32(identifier, seedA);
  const id2 = hash32(identifier, seedB);
  const nowSec = nowSeconds2020(now);
  let stop = -1;
  for (let i = 0; i < periods.length; i++) {
    const startSec = nowSeconds2020(starts[i]!);
    const h1 = mix32(id1 ^ Math.imul(startSec, 0x27d4eb2d) ^ periods[i]!);
    const h2 = mix32(id2 + Math.imul(startSec ^ (periods[i]! << 28), 0x165667b1));
    const e = table.entry(h1, h2, Math.ceil((ends[i]! - 1577836800000) / 1000), nowSec);
    entries[i] = e;
    if (e < 0) {
      counts[i] = 1; // cannot happen with MAX_PROBE > 0; count nothing rather than block
      continue;
    }
    const c = Atomics.add(i32, e + 3, 1) + 1;
    counts[i] = c;
    if (c > limits[i]!) stop = i;
  }
  if (stop >= 0) for (let i = 0; i < periods.length; i++) if (entries[i]! >= 0) Atomics.sub(i32, entries[i]! + 3, 1);
  return stop;
}
