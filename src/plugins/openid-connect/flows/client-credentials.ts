import { sha256 } from '../../oauth/common.js';
import type { Authenticated } from '../authorize.js';
import type { Core, Obtained } from '../core.js';
import type { Pair } from '../credentials.js';
import type { IdpAnswer } from '../http.js';

/** Scopes for grants without a user: `openid` and `offline_access` make no sense there (Cognito refuses them). */
function grantScope(core: Core): string | null {
  const s = core.conf.scopes.filter((x) => x !== 'openid' && x !== 'offline_access');
  return s.length > 0 ? s.join(' ') : null;
}

/** A token endpoint answer → the token and its checked claims; caches it until shortly before it expires. */
async function obtain(core: Core, cacheKey: string, request: () => Promise<IdpAnswer>, refused: string): Promise<Obtained> {
  const c = core.conf;
  const cached = c.cache_tokens ? core.tokens.get(cacheKey) : undefined;
  if (cached !== undefined) return cached;
  return (await core.inflight.run(cacheKey, async () => {
    const res = await request();
    const token = res.json?.access_token;
    if (res.status !== 200 || typeof token !== 'string') throw core.unauthorized(refused);
    const claims = token.split('.').length === 3 ? await core.verifyJwt(token) : { scope: res.json!.scope };
    const obtained: Obtained = {
      token,
      claims,
      idToken: typeof res.json!.id_token === 'string' ? res.json!.id_token : undefined,
      refreshToken: typeof res.json!.refresh_token === 'string' ? res.json!.refresh_token : undefined,
    };
    const expiresIn = typeof res.json!.expires_in === 'number' ? res.json!.expires_in : 60;
    // Reuse until 10% of its lifetime (at most 30 s) before expiry.
    const exp = Date.now() + expiresIn * 1000 - Math.min(30000, expiresIn * 100);
    if (c.cache_tokens && exp > Date.now()) core.tokens.set(cacheKey, obtained, exp);
    return obtained;
  })) as Obtained;
}

const result = (o: Obtained): Authenticated => ({ claims: o.claims, accessToken: o.token, idToken: o.idToken ?? null, refreshToken: o.refreshToken ?? null });

/**
 * client_credentials: the client's own id and secret (Basic, or client_id / client_secret
 * arguments) exchanged at the token endpoint, as in the Kong + Amazon Cognito walkthrough.
 */
export async function clientCredentials(core: Core, pair: Pair): Promise<Authenticated> {
  const key = 'c:' + sha256(`${pair.id}\0${pair.secret}`);
  const o = await obtain(core, key, () => {
    const form: Record<string, string> = { grant_type: 'client_credentials' };
    const scope = grantScope(core);
    if (scope !== null) form.scope = scope;
    return core.tokenRequest(form, pair);
  }, 'The client credentials are invalid');
  return result(o);
}

/** password: the user's name and password exchanged with the gateway's client (needs client_id). */
export async function password(core: Core, pair: Pair): Promise<Authenticated> {
  const key = 'p:' + sha256(`${pair.id}\0${pair.secret}`);
  const o = await obtain(core, key, () => {
    const form: Record<string, string> = { grant_type: 'password', username: pair.id, password: pair.secret };
    if (core.conf.scopes.length > 0) form.scope = core.conf.scopes.join(' ');
    return core.tokenRequest(form);
  }, 'The username or password is invalid');
  return result(o);
}
