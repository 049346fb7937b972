import { createHash } from 'node:crypto';
import type { PluginContext, PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { CacheStore, type CacheEntry } from './store.js';

interface Conf {
  response_code: number[];
  request_method: string[];
  content_type: string[];
  cache_ttl: number;
  strategy: 'memory';
  cache_control: boolean;
  ignore_uri_case: boolean;
  storage_ttl: number | null;
  memory: { dictionary_name: string };
  vary_query_params: string[] | null;
  vary_headers: string[] | null;
  response_headers: { age: boolean; 'X-Cache-Status': boolean; 'X-Cache-Key': boolean };
}

/** Largest response body stored (bigger ones stream through uncached). */
export const ITEM_MAX_BYTES = 1024 * 1024;
/** Memory of all entries of one plugin instance in one worker thread; least recently used evicted first. */
export const STORE_MAX_BYTES = 64 * 1024 * 1024;

/** A request this instance is following (miss, refresh or bypass), until its log phase. */
interface Pending {
  key: string;
  hex: string;
  status: 'Miss' | 'Refresh' | 'Bypass';
  leader: boolean;
  store: boolean;
  ttlMs: number;
}

/** Cache-Control directives: name → value ('' when it has none). */
function directives(header: string | undefined): Map<string, string> | null {
  if (header === undefined || header === '') return null;
  const m = new Map<string, string>();
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const k = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (k !== '') m.set(k, eq === -1 ? '' : part.slice(eq + 1).trim().replace(/^"|"$/g, ''));
  }
  return m;
}
function seconds(v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v)) return -1;
  return Number(v);
}

/** Media type as compared: lower case, no spaces around parameters. */
function normalizeType(ct: string): string {
  return ct
    .toLowerCase()
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .join('; ');
}

function stableConfigHash(config: unknown): string {
  return createHash('sha1').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

/**
 * proxy-cache (Kong priority 100), strategy memory. The cache key is the route, the consumer, the
 * method (HEAD looks up GET's entry), the path, the query (all parameters sorted, or only
 * vary_query_params) and vary_headers; X-Cache-Key is its MD5. A hit is answered from the
 * access phase (no upstream) with the stored status, headers and body, `Age` and
 * `X-Cache-Status: Hit`. A miss goes upstream; a cacheable answer (response_code, content_type,
 * and with cache_control the response's no-store / private / no-cache / max-age / s-maxage) is
 * held whole (`bufferResponseBody`, at most ITEM_MAX_BYTES: bigger ones stream through
 * uncached) and stored by the `body` phase. Concurrent misses on one key make ONE upstream
 * request: the others wait and are answered from it. With cache_control, a client's
 * `Cache-Control: no-cache` or `max-age=0` forces a Refresh, `no-store` a Bypass. Entries live in
 * memory per worker thread, in state that survives reloads which do not change this instance.
 */
export const proxyCache: PluginDefinition = {
  name: 'proxy-cache',
  priority: 100,
  schema: pluginSchema('proxy-cache'),
  create(instance, ctx) {
    const c = instance.config as unknown as Conf;
    const store = ctx.state(`proxy-cache:${instance.id}:${stableConfigHash(c)}`, () => new CacheStore(STORE_MAX_BYTES));
    const methods = new Set(c.request_method.map((m) => m.toUpperCase()));
    const codes = new Set(c.response_code);
    const types = new Set(c.content_type.map(normalizeType));
    const bareTypes = new Set(c.content_type.filter((t) => !t.includes(';')).map(normalizeType));
    const ttlMs = c.cache_ttl * 1000;
    const storageMs = c.storage_ttl !== null && c.storage_ttl !== undefined ? c.storage_ttl * 1000 : 0;
    const varyQuery = c.vary_query_params !== null && c.vary_query_params !== undefined && c.vary_query_params.length > 0 ? [...c.vary_query_params].sort() : null;
    const varyHeaders = c.vary_headers !== null && c.vary_headers !== undefined && c.vary_headers.length > 0 ? c.vary_headers.map((h) => h.toLowerCase()).sort() : null;
    const rh = c.response_headers ?? { age: true, 'X-Cache-Status': true, 'X-Cache-Key': true };
    const showStatus = rh['X-Cache-Status'] !== false;
    const showKey = rh['X-Cache-Key'] !== false;
    const showAge = rh.age !== false;
    const pending = new WeakMap<PluginContext, Pending>();

    function cacheKey(req: PluginContext): string {
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      let key = method + '\n' + req.route.id + '\n' + (req.consumer?.id ?? '') + '\n' + (c.ignore_uri_case ? req.path.toLowerCase() : req.path) + '\n';
      if (req.query !== '') {
        const q = new URLSearchParams(req.query);
        const pairs: string[] = [];
        if (varyQuery === null) {
          for (const [k, v] of q) pairs.push(k + '=' + v);
          pairs.sort();
        } else for (const k of varyQuery) for (const v of q.getAll(k)) pairs.push(k + '=' + v);
        key += pairs.join('&');
      }
      if (varyHeaders !== null) for (const h of varyHeaders) key += '\n' + h + ':' + (req.header(h) ?? '');
      return key;
    }

    function hitResponse(e: CacheEntry): PluginResponse {
      const headers: Record<string, string> = { ...e.headers };
      if (showStatus) headers['X-Cache-Status'] = 'Hit';
      if (showKey) headers['X-Cache-Key'] = e.hex;
      return { status: e.status, body: e.body, headers };
    }

    function serve(req: PluginContext, e: CacheEntry, now: number): PluginResponse {
      if (showAge) req.addResponseHeader('Age', String(Math.floor((now - e.created) / 1000)));
      return (e.hit ??= hitResponse(e));
    }

    function bypass(req: PluginContext): void {
      if (showStatus) req.addResponseHeader('X-Cache-Status', 'Bypass');
    }

    /** The leader is done (stored or not): answer the requests that waited for it. */
    function release(key: string, entry: CacheEntry | null): void {
      const waiters = store.inflight.get(key);
      if (waiters === undefined) return;
      store.inflight.delete(key);
      const now = Date.now();
      for (const w of waiters) {
        if (entry !== null) {
          pending.delete(w.req); // answered from the cache: a Hit, not a Miss
          w.resolve(serve(w.req, entry, now));
        }
        else w.resolve(undefined);
      }
    }

    return {
      access(req) {
        if (!methods.has(req.method) && !(req.method === 'HEAD' && methods.has('GET'))) return bypass(req);
        let refresh = false;
        let maxAge = -1;
        if (c.cache_control) {
          const cc = directives(req.header('cache-control'));
          if (cc !== null) {
            if (cc.has('no-store')) return bypass(req);
            maxAge = seconds(cc.get('max-age'));
            if (cc.has('no-cache') || maxAge === 0) refresh = true;
          }
          if (req.header('pragma')?.toLowerCase().includes('no-cache') === true) refresh = true;
        }
        const key = cacheKey(req);
        const now = Date.now();
        const e = store.get(key, now);
        if (e !== null && !refresh) {
          const age = now - e.created;
          if (age < e.ttlMs && (maxAge < 0 || age <= maxAge * 1000)) {
            store.touch(key, e);
            return serve(req, e, now);
          }
          refresh = true; // present but stale for this request
        }
        const hex = e?.hex ?? createHash('md5').update(key).digest('hex');
        const head = req.method === 'HEAD'; // a HEAD miss is proxied, not stored
        const waiting = !refresh && !head ? store.inflight.get(key) : undefined;
        if (waiting !== undefined) {
          pending.set(req, { key, hex, status: 'Miss', leader: false, store: false, ttlMs: 0 });
          return new Promise<PluginResponse | void>((resolve) => waiting.push({ req, resolve }));
        }
        const leader = !head && !store.inflight.has(key);
        if (leader) store.inflight.set(key, []);
        pending.set(req, { key, hex, status: refresh ? 'Refresh' : 'Miss', leader, store: false, ttlMs: 0 });
      },

      bufferResponseBody(req, status) {
        const p = pending.get(req);
        if (p === undefined) return 0;
        if (req.method === 'HEAD' || !codes.has(status)) return notStored(p);
        const ct = req.getResponseHeader('content-type');
        if (ct === undefined) return notStored(p);
        const n = normalizeType(ct);
        if (!types.has(n) && !bareTypes.has(n.split(';')[0]!)) return notStored(p);
        let ttl = ttlMs;
        if (c.cache_control) {
          const cc = directives(req.getResponseHeader('cache-control'));
          if (cc !== null) {
            if (cc.has('no-store') || cc.has('private') || cc.has('no-cache')) return notStored(p);
            const s = seconds(cc.get('s-maxage'));
            const m = s >= 0 ? s : seconds(cc.get('max-age'));
            if (m === 0) return notStored(p);
            if (m > 0) ttl = m * 1000;
          }
        }
        const len = req.getResponseHeader('content-length');
        if (len !== undefined && Number(len) > ITEM_MAX_BYTES) return 0; // streams through: Miss, not stored
        p.store = true;
        p.ttlMs = ttl;
        return ITEM_MAX_BYTES;
      },

      body(req, status, body) {
        const p = pending.get(req);
        if (p === undefined || !p.store || body.length > ITEM_MAX_BYTES) return body;
        const headers: Record<string, string> = {};
        const list = req.upstreamResponseHeaders();
        for (let i = 0; i < list.length; i += 2) {
          const name = list[i]!;
          if (name === 'age' || name === 'x-cache-status' || name === 'x-cache-key') continue;
          const prev = headers[name];
          headers[name] = prev === undefined ? list[i + 1]! : prev + ', ' + list[i + 1]!;
        }
        const now = Date.now();
        const entry: CacheEntry = {
          status,
          headers,
          body,
          created: now,
          ttlMs: p.ttlMs,
          expires: now + Math.max(p.ttlMs, storageMs),
          size: body.length + list.reduce((a, s) => a + s.length, 0) + p.key.length + 200,
          hex: p.hex,
          hit: null,
        };
        store.set(p.key, entry);
        if (p.leader) {
          p.leader = false;
          release(p.key, entry);
        }
        return body;
      },

      header(req) {
        const p = pending.get(req);
        if (p === undefined) return;
        if (showStatus) req.addResponseHeader('X-Cache-Status', p.status);
        if (showKey) req.addResponseHeader('X-Cache-Key', p.hex);
      },

      log(req) {
        const p = pending.get(req);
        if (p === undefined) return;
        pending.delete(req);
        if (p.leader) release(p.key, null);
      },
    };

    function notStored(p: Pending): number {
      p.status = 'Bypass';
      return 0;
    }
  },
};
