import { sha256 } from '../../oauth/common.js';
import type { Authenticated } from '../authorize.js';
import type { Core } from '../core.js';

/** The user info endpoint's answer for `token` (cached per cache_user_info), or a 401 when refused. */
export async function userinfo(core: Core, token: string): Promise<Record<string, unknown>> {
  const c = core.conf;
  const key = sha256(token);
  const cached = c.cache_user_info ? core.userinfos.get(key) : undefined;
  if (cached !== undefined) return cached;
  const url = await core.endpoint('userinfo');
  let res;
  try {
    res = await core.inflight.run('u:' + key, () => core.http.getJson(url, { authorization: `Bearer ${token}` })) as Awaited<ReturnType<typeof core.http.getJson>>;
  } catch {
    throw core.idpDown();
  }
  if (res.status !== 200 || res.json === null) throw core.unauthorized('The access token was not accepted by the user info endpoint');
  if (c.cache_user_info) core.userinfos.set(key, res.json, core.expiry(c.cache_ttl));
  return res.json;
}

/** auth method `userinfo`: a bearer token is valid when the user info endpoint accepts it. */
export async function userinfoAuth(core: Core, token: string): Promise<Authenticated> {
  const info = await userinfo(core, token);
  return { claims: info, accessToken: token, userinfo: info };
}
