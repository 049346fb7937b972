import type { PluginContext, PluginResponse } from '../types.js';

export interface CacheEntry {
  status: number;
  /** Upstream headers as stored (lower-case names, no hop-by-hop / Content-Length / Date / Via). */
  headers: Record<string, string>;
  body: Buffer;
  /** When it was stored (ms), how long it is fresh (ms), and when it leaves the store (ms, storage_ttl). */
  created: number;
  ttlMs: number;
  expires: number;
  /** Bytes it is counted for against the store's cap. */
  size: number;
  /** X-Cache-Key (MD5 of the key). */
  hex: string;
  /** The PluginResponse of a hit, made on the first hit. */
  hit: PluginResponse | null;
}

export interface Waiter {
  req: PluginContext;
  resolve: (r: PluginResponse | void) => void;
}

/**
 * One proxy-cache instance's memory store in one worker thread: a Map in least-recently-used
 * order (a hit moves its entry to the end), a byte budget (oldest evicted first) and the
 * requests waiting for an upstream fetch already in flight for their key.
 */
export class CacheStore {
  private readonly entries = new Map<string, CacheEntry>();
  bytes = 0;
  readonly inflight = new Map<string, Waiter[]>();

  constructor(readonly maxBytes: number) {}

  get(key: string, now: number): CacheEntry | null {
    const e = this.entries.get(key);
    if (e === undefined) return null;
    if (now >= e.expires) {
      this.delete(key, e);
      return null;
    }
    return e;
  }

  /** Marks an entry recently used. */
  touch(key: string, e: CacheEntry): void {
    this.entries.delete(key);
    this.entries.set(key, e);
  }

  set(key: string, e: CacheEntry): void {
    const old = this.entries.get(key);
    if (old !== undefined) this.delete(key, old);
    if (e.size > this.maxBytes) return;
    this.entries.set(key, e);
    this.bytes += e.size;
    if (this.bytes <= this.maxBytes) return;
    const now = Date.now();
    // Expired entries first, then least recently used.
    for (const [k, v] of this.entries) if (now >= v.expires) this.delete(k, v);
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(k, v);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private delete(key: string, e: CacheEntry): void {
    this.entries.delete(key);
    this.bytes -= e.size;
  }
}
