import type { Pool } from 'undici';
import { undici } from '../lazy.js';
import { H1Pool } from './h1/pool.js';
import type { UpstreamTls } from './tls.js';

/**
 * Which client sends requests upstream: Sluice's own HTTP/1.1 client (src/upstream/h1, the
 * default) or undici's Pool (`SLUICE_UPSTREAM_CLIENT=undici`). Both are driven through the same
 * `dispatch(opts, handler)` / `close()` subset, so the rest of the code types them as undici's.
 */
const USE_UNDICI = process.env.SLUICE_UPSTREAM_CLIENT === 'undici';

/**
 * Request bodies may be read into pooled memory (upstream/h1/chunk-pool.ts): Sluice's client
 * tells when its writes of a body are done; undici's does not, so with it bodies are plain Buffers.
 */
export const POOLED_BODIES = !USE_UNDICI;

/**
 * undici connection pools, one per upstream origin (and connect timeout), kept alive and shared
 * by every snapshot of a worker, so that a reload reuses the keep-alive connections of
 * unchanged upstreams. Pools no snapshot uses any more are closed gracefully after a reload.
 */
export class PoolRegistry {
  private readonly pools = new Map<string, Pool>();

  get(origin: string, connectTimeout: number, tls: UpstreamTls): Pool {
    const secure = origin.startsWith('https:');
    const key = origin + '|' + connectTimeout + (secure ? '|' + tls.key : '');
    let pool = this.pools.get(key);
    if (pool === undefined && !USE_UNDICI) {
      const h1 = new H1Pool(origin, {
        connectTimeout,
        tls: tls.options,
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 60_000,
        maxHeaderSize: 64 * 1024,
        // Timeouts are set per request from the service (read_timeout).
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      pool = h1 as unknown as Pool;
      this.pools.set(key, pool);
    }
    if (pool === undefined) {
      pool = new (undici().Pool)(origin, {
        connections: null,
        pipelining: 1,
        connect: { timeout: connectTimeout, ...tls.options },
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 60_000,
        // Timeouts are set per request from the service (read_timeout).
        headersTimeout: 0,
        bodyTimeout: 0,
        // We enforce the gateway's own header limit on the request side; the response side may be large.
        maxHeaderSize: 64 * 1024,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Closes (after their in-flight requests) every pool not in `inUse`. */
  retain(inUse: ReadonlySet<Pool>): void {
    for (const [key, pool] of this.pools) {
      if (!inUse.has(pool)) {
        this.pools.delete(key);
        pool.close().catch(() => undefined);
      }
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.close().catch(() => undefined)));
  }
}
