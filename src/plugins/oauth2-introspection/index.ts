import type { Consumer } from '../../config/types.js';
import type { PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { anonymousFallback } from '../auth.js';
import { bearerChallenge, bearerToken, Inflight, sha256, stateKey, TtlCache } from '../oauth/common.js';
import { introspect, introspectionExpiry, type Introspection } from '../oauth/introspect.js';

interface Conf {
  introspection_url: string;
  authorization_value: string;
  token_type_hint: string | null;
  ttl: number;
  hide_credentials: boolean;
  timeout: number;
  introspect_request: boolean;
  custom_introspection_headers: Record<string, string>;
  custom_claims_forward: string[];
  consumer_by: 'username' | 'client_id';
  anonymous: string | null;
  run_on_preflight: boolean;
}

/** Claims Kong forwards upstream as X-Credential-* headers. */
const STANDARD: Array<[string, string]> = [
  ['scope', 'x-credential-scope'],
  ['client_id', 'x-credential-client-id'],
  ['username', 'x-credential-username'],
  ['token_type', 'x-credential-token-type'],
  ['exp', 'x-credential-exp'],
  ['iat', 'x-credential-iat'],
  ['nbf', 'x-credential-nbf'],
  ['sub', 'x-credential-sub'],
  ['aud', 'x-credential-aud'],
  ['iss', 'x-credential-iss'],
  ['jti', 'x-credential-jti'],
];

const REALM = 'sluice';

function claimHeader(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(String).join(' ');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** oauth2-introspection (Kong priority 1700): RFC 7662 against a configured endpoint, results cached by ttl. */
export const oauth2Introspection: PluginDefinition = {
  name: 'oauth2-introspection',
  priority: 1700,
  schema: pluginSchema('oauth2-introspection'),
  authenticates: true,
  create(instance, ctx) {
    const conf = instance.config as unknown as Conf;
    const forward: Array<[string, string]> = [...STANDARD, ...conf.custom_claims_forward.map((c): [string, string] => [c, 'x-credential-' + c.toLowerCase()])];
    const consumers = new Map<string, Consumer>();
    for (const c of ctx.config.consumers) {
      const k = conf.consumer_by === 'username' ? c.username : c.custom_id;
      if (k !== null) consumers.set(k, c);
    }
    const fallback = anonymousFallback(conf.anonymous, ctx.consumers);
    const cache = ctx.state(stateKey(instance, 'introspection'), () => new TtlCache<Introspection>());
    const inflight = ctx.state(stateKey(instance, 'inflight'), () => new Inflight<Introspection>());
    const json = { 'content-type': 'application/json; charset=utf-8' };
    const missing: PluginResponse = {
      status: 401,
      body: JSON.stringify({ error: 'invalid_request', error_description: 'The access token is missing' }),
      headers: { ...json, 'www-authenticate': bearerChallenge(REALM) },
    };
    const invalid: PluginResponse = {
      status: 401,
      body: JSON.stringify({ error: 'invalid_token', error_description: 'The access token is invalid or has expired' }),
      headers: { ...json, 'www-authenticate': bearerChallenge(REALM, 'invalid_token', 'The access token is invalid or has expired') },
    };
    const unavailable: PluginResponse = { status: 502, message: 'The introspection endpoint could not be reached' };
    const baseHeaders = conf.custom_introspection_headers;

    return {
      async access(req) {
        if (req.method === 'OPTIONS' && !conf.run_on_preflight) return;
        if (req.consumer !== null && fallback !== null) return;
        let token = bearerToken(req.header('authorization'));
        let inQuery = false;
        if (token === undefined && req.query.includes('access_token=')) {
          token = new URLSearchParams(req.query).get('access_token') ?? undefined;
          inQuery = token !== undefined && token !== '';
        }
        if (token === undefined || token === '') return fallback !== null ? fallback(req) : missing;
        const key = sha256(token);
        let result = cache.get(key);
        if (result === undefined) {
          const headers = conf.introspect_request ? { ...baseHeaders, 'x-request-path': req.path, 'x-request-http-method': req.method } : baseHeaders;
          const t = token;
          try {
            result = await inflight.run(key, () =>
              introspect(conf.introspection_url, t, { hint: conf.token_type_hint, authorization: conf.authorization_value, headers, timeout: conf.timeout }),
            );
          } catch {
            return unavailable;
          }
          cache.set(key, result, introspectionExpiry(result, conf.ttl));
        }
        if (!result.active) return fallback !== null ? fallback(req) : invalid;
        for (const [claim, header] of forward) req.setUpstreamHeader(header, claimHeader(result[claim]));
        const ref = conf.consumer_by === 'username' ? result.username : result.client_id;
        const consumer = typeof ref === 'string' ? consumers.get(ref) : undefined;
        if (consumer !== undefined) req.authenticate(consumer, typeof result.client_id === 'string' ? result.client_id : null, false);
        if (conf.hide_credentials) {
          if (inQuery) {
            const q = new URLSearchParams(req.query);
            q.delete('access_token');
            req.setUpstreamQuery(q.toString());
          } else req.setUpstreamHeader('authorization', null);
        }
      },
    };
  },
};
