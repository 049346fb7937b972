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

function poolKey(origin: string, connectTimeout: number, tls: UpstreamTls): string {
  return origin + '|' + connectTimeout + (origin.startsWith('https:') ? '|' + tls.key : '');
}

/**
 * A new upstream client for one origin, outside any registry (the registry's clients are made
 * here too): the caller closes it.
 */
export function createClient(origin: string, connectTimeout: number, tls: UpstreamTls): UpstreamClient {
  if (USE_UNDICI) return new UndiciClient(origin, connectTimeout, tls);
  return new H1Pool(origin, {
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

/**
 * Upstream clients, one per upstream origin (and connect timeout, and TLS settings), kept alive
 * and shared by every snapshot of a worker, so that a reload reuses the keep-alive connections of
 * unchanged upstreams. Clients no snapshot uses any more are closed gracefully after a reload.
 */
export class PoolRegistry {
  private readonly pools = new Map<string, UpstreamClient>();

  get(origin: string, connectTimeout: number, tls: UpstreamTls): UpstreamClient {
    const key = poolKey(origin, connectTimeout, tls);
    let pool = this.pools.get(key);
    if (pool !== undefined) return pool;
    pool = createClient(origin, connectTimeout, tls);
    this.pools.set(key, pool);
    return pool;
  }

  /** The registered client for these settings, without creating one. */
  find(origin: string, connectTimeout: number, tls: UpstreamTls): UpstreamClient | undefined {
    return this.pools.get(poolKey(origin, connectTimeout, tls));
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
