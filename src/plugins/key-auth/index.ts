import { randomBytes } from 'node:crypto';
import type { Consumer } from '../../config/types.js';
import type { PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { anonymousFallback } from '../auth.js';
import { hash32 } from '../shared-memory.js';
import { queryParam } from '../request-input.js';

interface KeyAuthConfig {
  key_names: string[];
  hide_credentials: boolean;
  anonymous: string | null;
  key_in_header: boolean;
  key_in_query: boolean;
  run_on_preflight: boolean;
  realm: string | null;
}

interface Credential {
  key: string;
  id: string;
  /** Resolved when the plugin is created (null: the credential's consumer does not exist). */
  consumer: Consumer | null;
}

/**
 * Secret seed of the key index, drawn once per process: nobody outside can tell which guesses
 * land in which bucket.
 */
const SEED = randomBytes(4).readInt32LE(0);

/** The bucket of a key: a seeded 30-bit hash (a small integer, so a Map key without a heap number). */
function bucket(key: string): number {
  return hash32(key, SEED) & 0x3fffffff;
}

/** Equal strings, in a time that depends on the lengths only (never on where they first differ). */
function sameKey(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

/**
 * key-auth (Kong priority 1250). Keys are indexed at compile time by a hash seeded with a
 * per-process secret, and a candidate is confirmed by a constant-time comparison: how long a
 * lookup takes does not depend on how much of a guessed key is right (the bucket a guess falls
 * in is unpredictable without the seed). A hash in JavaScript costs tens of nanoseconds where a
 * sha256 per request cost microseconds.
 */
export const keyAuth: PluginDefinition = {
  name: 'key-auth',
  priority: 1250,
  schema: pluginSchema('key-auth'),
  authenticates: true,
  create(instance, ctx) {
    const conf = instance.config as unknown as KeyAuthConfig;
    const byKey = new Map<string, Credential>(); // last credential wins for a repeated key
    for (const c of ctx.config.keyauth_credentials) byKey.set(c.key, { key: c.key, id: c.id, consumer: ctx.consumers.byId.get(c.consumer) ?? null });
    const index = new Map<number, Credential[]>();
    for (const cred of byKey.values()) {
      const b = bucket(cred.key);
      const list = index.get(b);
      if (list === undefined) index.set(b, [cred]);
      else list.push(cred);
    }
    const lookup = (key: string): Credential | undefined => {
      const list = index.get(bucket(key));
      if (list === undefined) return undefined;
      let found: Credential | undefined;
      for (let i = 0; i < list.length; i++) if (sameKey(key, list[i]!.key)) found = list[i];
      return found;
    };
    const names = conf.key_names.map((n) => n.toLowerCase());
    const queryNames = conf.key_names;
    const inHeader = conf.key_in_header;
    const inQuery = conf.key_in_query;
    const hide = conf.hide_credentials;
    const skipPreflight = !conf.run_on_preflight;
    const realm = conf.realm ?? 'sluice';
    const challenge = { 'www-authenticate': `Key realm="${realm}"` };
    const missing: PluginResponse = { status: 401, message: 'No API key found in request', headers: challenge };
    const invalid: PluginResponse = { status: 401, message: 'Invalid authentication credentials', headers: challenge };
    const fallback = anonymousFallback(conf.anonymous, ctx.consumers);
    return {
      access(req) {
        if (skipPreflight && req.method === 'OPTIONS') return;
        // Another auth plugin already authenticated a real consumer (a credential, not the
        // anonymous fallback): with anonymous set, Kong skips (a logical OR of auth plugins).
        if (fallback !== null && req.credentialId !== null) return;
        let key: string | undefined | null;
        let fromHeader: string | null = null;
        let fromQuery: string | null = null;
        if (inHeader) {
          for (let i = 0; i < names.length; i++) {
            key = req.header(names[i]!);
            if (key !== undefined) {
              fromHeader = names[i]!;
              break;
            }
          }
        }
        if (key === undefined && inQuery && req.query !== '') {
          for (let i = 0; i < queryNames.length; i++) {
            key = queryParam(req.query, queryNames[i]!);
            if (key !== null) {
              fromQuery = queryNames[i]!;
              break;
            }
          }
        }
        if (key === undefined || key === null || key === '') return fallback !== null ? fallback(req) : missing;
        const cred = lookup(key);
        if (cred === undefined) return fallback !== null ? fallback(req) : invalid;
        if (cred.consumer === null) return invalid;
        req.authenticate(cred.consumer, cred.id, false);
        if (hide) {
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
