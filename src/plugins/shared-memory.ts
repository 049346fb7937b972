/**
 * Node-wide shared memory for plugins (PluginCreateContext.shared: one SharedArrayBuffer from the
 * main thread, seen by every worker thread).
 *
 * Layout: fixed, named regions at stable offsets, so every worker (and every snapshot after a
 * reload) finds the same bytes. A plugin asks for its region by name with `sharedRegion`.
 *
 * Inside a region, `SharedTable` is a fixed-size open-addressing hash table (linear probing) of
 * small fixed-size entries, safe for concurrent use by all threads with Atomics only (no locks,
 * no message per request):
 *
 *   entry = [tag, check, expires, payload...]   (Int32 words)
 *   tag     0 = empty, 1 = being written (a claimer holds it for a few stores), else key hash #1
 *   check   key hash #2 (a key is identified by 64 bits: tag + check)
 *   expires seconds since 2020-01-01 UTC after which the entry may be reclaimed
 *
 * Keys are hashes the plugin computes (it mixes its instance identity and configuration hash
 * in, so counters survive reloads that do not change the plugin's configuration, and a changed
 * configuration starts from zero). The home slot comes from the check hash, so the entries of
 * one plugin instance are spread over the whole region.
 *
 * Collisions and eviction: a lookup probes at most MAX_PROBE slots. A matching key is used
 * whatever its expiry; otherwise the key is claimed in the first expired slot of its probe
 * sequence or the first empty one. If all MAX_PROBE slots hold live keys (the region is
 * overloaded), the entry expiring soonest is evicted: its counter restarts from zero, which can
 * only let more requests through, never fewer. Two different keys with the same 64-bit hash
 * would share an entry (probability ~ n²/2⁶⁵).
 */

import { hash32, mix32 } from '../util/hash.js';

export { hash32, mix32 };

export interface Region {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  byteLength: number;
}

const MiB = 1024 * 1024;

/** Regions of the shared buffer (offset, length in bytes). Add new ones after the last. */
const REGIONS: Readonly<Record<string, readonly [number, number]>> = {
  'rate-limiting': [0, 16 * MiB],
  throttling: [16 * MiB, 4 * MiB],
};

/** The named region of the node-wide shared memory. Throws for an unknown name or a buffer too small. */
export function sharedRegion(shared: SharedArrayBuffer, name: string): Region {
  const r = REGIONS[name];
  if (r === undefined) throw new Error(`no shared memory region named ${name}`);
  const [byteOffset, byteLength] = r;
  if (shared.byteLength < byteOffset + byteLength) throw new Error(`shared memory too small for region ${name}`);
  return { buffer: shared, byteOffset, byteLength };
}

/** 2020-01-01T00:00:00Z in ms: the epoch of `expires` (Int32 seconds from it last until 2088). */
export const EPOCH_2020_MS = 1577836800000;

const EMPTY = 0;
const BUSY = 1;
const MAX_PROBE = 32;
const SPIN = 100_000;

export class SharedTable {
  readonly i32: Int32Array;
  readonly slots: number;
  private readonly mask: number;

  /**
   * @param stride Int32 words per entry (≥ 4: tag, check, expires, then the payload). An even
   *   stride keeps 64-bit payload words (at even word offsets) 8-byte aligned.
   */
  constructor(
    region: Region,
    readonly stride: number,
  ) {
    this.i32 = new Int32Array(region.buffer, region.byteOffset, region.byteLength / 4);
    let slots = 1;
    while (slots * 2 * stride <= this.i32.length) slots *= 2;
    this.slots = slots;
    this.mask = slots - 1;
  }

  /**
   * The word index of the entry for key (h1, h2), claiming one when absent: then `expires` is
   * stored and the payload words are zeroed before any other thread can see the key. `now` is in
   * seconds since EPOCH_2020_MS.
   */
  entry(h1: number, h2: number, expires: number, now: number): number {
    const i32 = this.i32;
    const stride = this.stride;
    let tag = h1 | 0;
    if (tag === EMPTY || tag === BUSY) tag += 2;
    const check = h2 | 0;
    const home = h2 >>> 0;
    for (;;) {
      let reclaim = -1;
      let reclaimTag = 0;
      let oldest = -1;
      let oldestTag = 0;
      let oldestExp = 0x7fffffff;
      let free = -1;
      for (let p = 0; p < MAX_PROBE; p++) {
        const base = ((home + p) & this.mask) * stride;
        let t = Atomics.load(i32, base);
        if (t === BUSY) t = this.settle(base);
        if (t === EMPTY) {
          free = base;
          break;
        }
        if (t === tag && Atomics.load(i32, base + 1) === check) return base;
        if (t === BUSY) continue; // a claimer that never finished: skip it
        const exp = Atomics.load(i32, base + 2);
        if (exp <= now) {
          if (reclaim < 0) {
            reclaim = base;
            reclaimTag = t;
          }
        } else if (exp < oldestExp) {
          oldest = base;
          oldestTag = t;
          oldestExp = exp;
        }
      }
      let target: number;
      let expect: number;
      if (reclaim >= 0) {
        target = reclaim;
        expect = reclaimTag;
      } else if (free >= 0) {
        target = free;
        expect = EMPTY;
      } else {
        target = oldest;
        expect = oldestTag;
      }
      if (target < 0) return -1;
      if (Atomics.compareExchange(i32, target, expect, BUSY) !== expect) continue; // lost a race: look again
      Atomics.store(i32, target + 1, check);
      Atomics.store(i32, target + 2, expires);
      for (let w = 3; w < stride; w++) Atomics.store(i32, target + w, 0);
      Atomics.store(i32, target, tag);
      return target;
    }
  }

  /** Waits (briefly) for a claimer to finish writing an entry; returns its tag. */
  private settle(base: number): number {
    let t = BUSY;
    for (let i = 0; i < SPIN && t === BUSY; i++) t = Atomics.load(this.i32, base);
    return t;
  }
}

/** Seconds since EPOCH_2020_MS. */
export function nowSeconds2020(ms: number): number {
  return Math.floor((ms - EPOCH_2020_MS) / 1000);
}
