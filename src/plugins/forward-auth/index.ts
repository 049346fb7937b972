import type { PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { headerValue, httpCall, Inflight, sha256, stateKey, TtlCache } from '../oauth/common.js';

interface Conf {
  url: string;
  request_headers: string[];
  upstream_headers: string[];
  cache_key_headers: string[] | null;
  ttl: number;
  timeout: number;
  run_on_preflight: boolean;
}

/** What the authorizer decided: allow (with upstream headers) or the response the client gets. */
type Decision = { allow: true; headers: Array<[string, string | null]> } | { allow: false; response: PluginResponse };

const UNREACHABLE: PluginResponse = { status: 502, message: 'An invalid response was received from the authorizer' };
const TIMED_OUT: PluginResponse = { status: 503, message: 'The authorizer did not answer in time' };
/** Authorizer answer headers passed to the client on a denial. */
const DENY_HEADERS = ['www-authenticate', 'content-type', 'retry-after'];

/**
 * forward-auth (Sluice's own; priority 1020, after Kong's built-in auth plugins that map
 * consumers and before acl). Fails closed: an unreachable authorizer is a 502, a slow one a 503.
 */
export const forwardAuth: PluginDefinition = {
  name: 'forward-auth',
  priority: 1020,
  schema: pluginSchema('forward-auth'),
  create(instance, ctx) {
    const conf = instance.config as unknown as Conf;
    const sendNames = conf.request_headers.map((h) => h.toLowerCase());
    const keyNames = (conf.cache_key_headers ?? conf.request_headers).map((h) => h.toLowerCase());
    const upNames = conf.upstream_headers.map((h) => h.toLowerCase());
    const ttlMs = conf.ttl * 1000;
    const cache = ctx.state(stateKey(instance, 'decisions'), () => new TtlCache<Decision>());
    const inflight = ctx.state(stateKey(instance, 'inflight'), () => new Inflight<Decision>());

    const ask = async (method: string, uri: string, host: string, clientIp: string, headers: Record<string, string>): Promise<Decision> => {
      const out: Record<string, string> = {
        'x-forwarded-method': method,
        'x-forwarded-uri': uri,
        'x-forwarded-for': clientIp,
      };
      if (host !== '') out['x-forwarded-host'] = host;
      for (const n of sendNames) {
        const v = headers[n];
        if (v !== undefined) out[n] = v;
      }
      let res;
      try {
        res = await httpCall(conf.url, { headers: out, timeout: conf.timeout });
      } catch (err) {
        const name = (err as Error).name;
        return { allow: false, response: name === 'TimeoutError' || name === 'AbortError' || /timeout/i.test((err as Error).message) ? TIMED_OUT : UNREACHABLE };
      }
      if (res.status >= 200 && res.status < 300) {
        return { allow: true, headers: upNames.map((n) => [n, headerValue(res.headers[n]) ?? null]) };
      }
      const h: Record<string, string> = {};
      for (const n of DENY_HEADERS) {
        const v = headerValue(res.headers[n]);
        if (v !== undefined) h[n] = v;
      }
      return { allow: false, response: { status: res.status, body: res.body, headers: h } };
    };

    return {
      async access(req) {
        if (req.method === 'OPTIONS' && !conf.run_on_preflight) return;
        let decision: Decision | undefined;
        let key: string | null = null;
        if (ttlMs > 0) {
          let raw = '';
          for (const n of keyNames) raw += (req.header(n) ?? '') + '\n';
          key = sha256(raw);
          decision = cache.get(key);
        }
        if (decision === undefined) {
          const uri = req.query === '' ? req.path : req.path + '?' + req.query;
          const call = () => ask(req.method, uri, req.header('host') ?? '', req.clientIp, req.headers);
          // Concurrent requests with the same identity share one authorizer call.
          decision = await (key !== null ? inflight.run(key, call) : call());
          const cacheable = decision.allow || decision.response.status === 401 || decision.response.status === 403;
          if (key !== null && cacheable) cache.set(key, decision, Date.now() + ttlMs);
        }
        if (!decision.allow) return decision.response;
        for (const [n, v] of decision.headers) req.setUpstreamHeader(n, v);
      },
    };
  },
};
