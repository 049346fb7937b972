import { H1Pool } from './h1/pool.js';
import type { UpstreamClient } from './client.js';
import type { UpstreamTls } from './tls.js';
import { UndiciClient } from './undici.js';

/**
 * Which client sends requests upstream: Sluice's own HTTP/1.1 client (src/upstream/h1, the
 * default) or undici's Pool (`SLUICE_UPSTREAM_CLIENT=undici`, undici.ts). Both implement
 * UpstreamClient (client.ts).
 */
const USE_UNDICI = process.env.SLUICE_UPSTREAM_CLIENT === 'undici';

/**
 * Request bodies may be read into pooled memory (body-buffer.ts) before a peer is picked: true
 * when the configured client gives the memory back (UpstreamClient.returnsBodies).
 */
export const POOLED_BODIES = !USE_UNDICI;

/**
 * Upstream clients, one per upstream origin (and connect timeout, and TLS settings), kept alive
 * and shared by every snapshot of a worker, so that a reload reuses the keep-alive connections of
 * unchanged upstreams. Clients no snapshot uses any more are closed gracefully after a reload.
 */
export class PoolRegistry {
  private readonly pools = new Map<string, UpstreamClient>();

  get(origin: string, connectTimeout: number, tls: UpstreamTls): UpstreamClient {
    const secure = origin.startsWith('https:');
    const key = origin + '|' + connectTimeout + (secure ? '|' + tls.key : '');
    let pool = this.pools.get(key);
    if (pool !== undefined) return pool;
    if (USE_UNDICI) pool = new UndiciClient(origin, connectTimeout, tls);
    else {
      pool = new H1Pool(origin, {
        connectTimeout,
        tls: tls.options,
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 60_000,
        maxHeaderSize: 64 * 1024,
        // Timeouts are set per request from the service (read_timeout).
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    }
    this.pools.set(key, pool);
    return pool;
  }

  /** Closes (after their in-flight requests) every client not in `inUse`. */
  retain(inUse: ReadonlySet<UpstreamClient>): void {
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
