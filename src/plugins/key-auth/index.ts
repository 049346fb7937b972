import { createHash } from 'node:crypto';
import type { PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { anonymousFallback } from '../auth.js';

interface KeyAuthConfig {
  key_names: string[];
  hide_credentials: boolean;
  anonymous: string | null;
  key_in_header: boolean;
  key_in_query: boolean;
  run_on_preflight: boolean;
  realm: string | null;
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('base64');
}

/**
 * key-auth (Kong priority 1250). Keys are indexed by their sha256 at compile time, so a lookup
 * compares digests: the time it takes does not depend on how much of a guessed key is right.
 */
export const keyAuth: PluginDefinition = {
  name: 'key-auth',
  priority: 1250,
  schema: pluginSchema('key-auth'),
  authenticates: true,
  create(instance, ctx) {
    const conf = instance.config as unknown as KeyAuthConfig;
    const byDigest = new Map<string, { consumer: string; id: string }>();
    for (const c of ctx.config.keyauth_credentials) byDigest.set(digest(c.key), { consumer: c.consumer, id: c.id });
    const names = conf.key_names.map((n) => n.toLowerCase());
    const queryNames = conf.key_names;
    const realm = conf.realm ?? 'sluice';
    const challenge = { 'www-authenticate': `Key realm="${realm}"` };
    const missing: PluginResponse = { status: 401, message: 'No API key found in request', headers: challenge };
    const invalid: PluginResponse = { status: 401, message: 'Invalid authentication credentials', headers: challenge };
    const fallback = anonymousFallback(conf.anonymous, ctx.consumers);
    return {
      access(req) {
        if (req.method === 'OPTIONS' && !conf.run_on_preflight) return;
        // Another auth plugin already authenticated a real consumer (a credential, not the
        // anonymous fallback): with anonymous set, Kong skips (a logical OR of auth plugins).
        if (req.credentialId !== null && fallback !== null) return;
        let key: string | undefined;
        let fromHeader: string | null = null;
        let fromQuery: string | null = null;
        if (conf.key_in_header) {
          for (const n of names) {
            const v = req.headers[n];
            if (v !== undefined) {
              key = v;
              fromHeader = n;
              break;
            }
          }
        }
        if (key === undefined && conf.key_in_query && req.query !== '') {
          const q = new URLSearchParams(req.query);
          for (const n of queryNames) {
            const v = q.get(n);
            if (v !== null) {
              key = v;
              fromQuery = n;
              break;
            }
          }
        }
        if (key === undefined || key === '') return fallback !== null ? fallback(req) : missing;
        const cred = byDigest.get(digest(key));
        if (cred === undefined) return fallback !== null ? fallback(req) : invalid;
        const consumer = ctx.consumers.byId.get(cred.consumer);
        if (consumer === undefined) return invalid;
        req.authenticate(consumer, cred.id, false);
        if (conf.hide_credentials) {
          if (fromHeader !== null) req.setUpstreamHeader(fromHeader, null);
          if (fromQuery !== null) {
            const q = new URLSearchParams(req.query);
            q.delete(fromQuery);
            req.setUpstreamQuery(q.toString());
          }
        }
      },
    };
  },
};
