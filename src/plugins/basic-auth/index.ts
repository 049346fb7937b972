import { createHash, timingSafeEqual } from 'node:crypto';
import { bcryptjs } from '../../lazy.js';
import type { Consumer } from '../../config/types.js';
import type { PluginContext, PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { anonymousFallback } from '../auth.js';

interface BasicAuthConfig {
  hide_credentials: boolean;
  anonymous: string | null;
  realm: string;
}

interface Credential {
  consumer: Consumer;
  username: string;
  /** sha256 of the plaintext password, or null for a bcrypt hash. */
  digest: Buffer | null;
  /** The bcrypt hash, or null for a plaintext password. */
  bcrypt: string | null;
  /** sha256 of the bcrypt hash: part of the verification cache key, so a changed hash misses. */
  bcryptId: string | null;
}

/** Successful bcrypt verifications: cache key → expiry (ms since epoch). Survives reloads. */
interface BcryptCache {
  ok: Map<string, number>;
}

/** How long a successful bcrypt verification is remembered, and how many are kept. */
export const BCRYPT_CACHE_MS = 30_000;
const BCRYPT_CACHE_MAX = 10_000;

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();
/** Compared against when the username is unknown, so that case costs the same as a wrong password. */
const DUMMY = sha256('sluice basic-auth: no such user');

/**
 * Kong's credential parsing: `Basic <base64(username:password)>` (scheme case-insensitive), the
 * username being everything before the first colon (at least one character).
 */
export function parseBasic(value: string | undefined): { username: string; password: string } | null {
  if (value === undefined) return null;
  let i = 0;
  while (i < value.length && (value.charCodeAt(i) === 32 || value.charCodeAt(i) === 9)) i++;
  if (value.length - i < 6 || value.slice(i, i + 5).toLowerCase() !== 'basic') return null;
  const b64 = value.slice(i + 5).trim();
  if (b64 === '' || !BASE64.test(b64)) return null;
  const decoded = Buffer.from(b64, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * basic-auth (Kong priority 1100). Plaintext passwords are kept only as sha256 digests and
 * compared with timingSafeEqual; bcrypt hashes are checked with bcryptjs (asynchronously) and a
 * success is remembered for BCRYPT_CACHE_MS under sha256(hash, password), so a busy client does
 * not pay one bcrypt per request. The X-Credential-Identifier is the credential's username, as
 * in Kong.
 */
export const basicAuth: PluginDefinition = {
  name: 'basic-auth',
  priority: 1100,
  schema: pluginSchema('basic-auth'),
  authenticates: true,
  create(instance, ctx) {
    const conf = instance.config as unknown as BasicAuthConfig;
    const byUsername = new Map<string, Credential>();
    for (const c of ctx.config.basicauth_credentials) {
      const consumer = ctx.consumers.byId.get(c.consumer);
      if (consumer === undefined) continue;
      const isBcrypt = BCRYPT.test(c.password);
      byUsername.set(c.username, {
        consumer,
        username: c.username,
        digest: isBcrypt ? null : sha256(c.password),
        bcrypt: isBcrypt ? c.password : null,
        bcryptId: isBcrypt ? sha256(c.password).toString('base64') : null,
      });
    }
    const cache = ctx.state<BcryptCache>('basic-auth:bcrypt-cache', () => ({ ok: new Map() }));
    const challenge = { 'www-authenticate': `Basic realm="${conf.realm.replace(/["\\]/g, '\\$&')}"` };
    const missing: PluginResponse = { status: 401, message: 'Unauthorized', headers: challenge };
    const invalid: PluginResponse = { status: 401, message: 'Invalid authentication credentials', headers: challenge };
    const fallback = anonymousFallback(conf.anonymous, ctx.consumers);
    const fail = (req: PluginContext, r: PluginResponse): PluginResponse | void => (fallback !== null ? fallback(req) : r);


    return {
      access(req) {
        // Already authenticated by another plugin and configured for anonymous: a logical OR.
        if (req.credentialId !== null && fallback !== null) return;
        const authorization = req.header('authorization');
        const proxyAuthorization = req.header('proxy-authorization');
        if (authorization === undefined && proxyAuthorization === undefined) return fail(req, missing);
        // As Kong: the credentials are hidden from the upstream whether or not they are valid.
        // (Proxy-Authorization is hop-by-hop: never forwarded anyway.)
        if (conf.hide_credentials && authorization !== undefined) req.setUpstreamHeader('authorization', null);
        // Proxy-Authorization first when it names a known user, then Authorization (Kong's order).
        let given = parseBasic(proxyAuthorization);
        let cred = given !== null ? byUsername.get(given.username) : undefined;
        if (cred === undefined) {
          given = parseBasic(authorization);
          cred = given !== null ? byUsername.get(given.username) : undefined;
        }
        if (given === null) {
          return fail(req, invalid);
        }
        const passwordDigest = sha256(given.password);
        if (cred === undefined) {
          timingSafeEqual(passwordDigest, DUMMY);
          return fail(req, invalid);
        }
        if (cred.digest !== null) {
          if (!timingSafeEqual(passwordDigest, cred.digest)) {
              return fail(req, invalid);
          }
          return req.authenticate(cred.consumer, cred.username, false);
        }
        // bcrypt: a recent success for this exact (hash, password) pair skips the slow compare.
        const key = cred.bcryptId! + ':' + passwordDigest.toString('base64');
        const now = Date.now();
        const until = cache.ok.get(key);
        if (until !== undefined && until > now) return req.authenticate(cred.consumer, cred.username, false);
        const password = given.password;
        const found = cred;
        return bcryptjs().compare(password, found.bcrypt!).then((ok) => {
          if (!ok) {
              return fail(req, invalid);
          }
          if (cache.ok.size >= BCRYPT_CACHE_MAX) {
            const t = Date.now();
            for (const [k, exp] of cache.ok) if (exp <= t) cache.ok.delete(k);
            if (cache.ok.size >= BCRYPT_CACHE_MAX) cache.ok.clear();
          }
          cache.ok.set(key, Date.now() + BCRYPT_CACHE_MS);
          req.authenticate(found.consumer, found.username, false);
        });
      },
    };
  },
};
