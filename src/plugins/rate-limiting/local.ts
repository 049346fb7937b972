import { EPOCH_2020_MS, SharedTable, mix32, nowSeconds2020, sharedRegion } from '../shared-memory.js';

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
 * The per-window halves of the counter keys, which depend only on the window (start and
 * period), not on who is counted: computed once per window start (WindowKeys), they are mixed
 * with the identifier's hashes per request. `expires`: seconds since 2020 when the window ends.
 */
export interface WindowKeys {
  a: number[];
  b: number[];
  expires: number[];
}

/** Fills `out[i]` for window i (period `periods[i]`, start and end in ms). */
export function windowKeys(periods: readonly number[], starts: readonly number[], ends: readonly number[], out: WindowKeys): void {
  for (let i = 0; i < periods.length; i++) {
    const startSec = nowSeconds2020(starts[i]!);
    out.a[i] = Math.imul(startSec, 0x27d4eb2d) ^ periods[i]!;
    out.b[i] = Math.imul(startSec ^ (periods[i]! << 28), 0x165667b1);
    out.expires[i] = Math.ceil((ends[i]! - EPOCH_2020_MS) / 1000);
  }
}

/**
 * hash32(identifier, seedA) and hash32(identifier, seedB), side by side in one pass, into
 * out[0] and out[1].
 */
export function identifierHashes(identifier: string, seedA: number, seedB: number, out: Int32Array): void {
  let ha = seedA ^ 0x9e3779b9;
  let hb = seedB ^ 0x9e3779b9;
  for (let i = 0; i < identifier.length; i++) {
    const c = identifier.charCodeAt(i);
    ha = Math.imul(ha ^ c, 0x5bd1e995);
    ha ^= ha >>> 15;
    hb = Math.imul(hb ^ c, 0x5bd1e995);
    hb ^= hb >>> 15;
  }
  out[0] = mix32(ha ^ identifier.length);
  out[1] = mix32(hb ^ identifier.length);
}

/**
 * Counts a request in every window at once, across all worker threads: each counter is one
 * Atomics.add, so concurrent requests never both take the last unit. A rejected request is
 * taken back out of every window (Kong does not count blocked requests either).
 *
 * `id`: the identifier's two hashes (identifierHashes), mixed with each window's keys.
 * `counts[i]` receives the usage of window i including this request. Returns the index of the
 * window that is over its limit, or -1 when the request is allowed.
 */
export function countWindows(
  table: SharedTable,
  id: Int32Array,
  keys: WindowKeys,
  nowSec: number,
  limits: readonly number[],
  counts: number[],
  entries: number[],
): number {
  const i32 = table.i32;
  const id1 = id[0]!;
  const id2 = id[1]!;
  const n = limits.length;
  let stop = -1;
  for (let i = 0; i < n; i++) {
    const e = table.entry(mix32(id1 ^ keys.a[i]!), mix32(id2 + keys.b[i]!), keys.expires[i]!, nowSec);
    entries[i] = e;
    if (e < 0) {
      counts[i] = 1; // cannot happen with MAX_PROBE > 0; count nothing rather than block
      continue;
    }
    const c = Atomics.add(i32, e + 3, 1) + 1;
    counts[i] = c;
    if (c > limits[i]!) stop = i;
  }
  if (stop >= 0) for (let i = 0; i < n; i++) if (entries[i]! >= 0) Atomics.sub(i32, entries[i]! + 3, 1);
  return stop;
}

/** countWindows with the window keys computed from starts and ends (ms) for this call. */
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
  const keys: WindowKeys = { a: [], b: [], expires: [] };
  windowKeys(periods, starts, ends, keys);
  const id = new Int32Array(2);
  identifierHashes(identifier, seedA, seedB, id);
  return countWindows(table, id, keys, nowSeconds2020(now), limits, counts, entries);
}
