import { sha256 } from '../../oauth/common.js';
import { introspect } from '../../oauth/introspect.js';
import type { Core } from '../core.js';

/** RFC 7662 introspection of `token` (cached per cache_introspection, never past its exp). */
export async function introspection(core: Core, token: string): Promise<Record<string, unknown> & { active: boolean }> {
  const c = core.conf;
  const key = sha256(token);
  let result = c.cache_introspection ? core.introspections.get(key) : undefined;
  if (result === undefined) {
    const url = await core.endpoint('introspection');
    const form: Record<string, string> = {};
    const headers: Record<string, string> = {};
    core.clientAuth(form, headers, c.introspection_auth);
    try {
      result = (await core.inflight.run('i:' + key, () => introspect(url, token, { hint: c.introspection_hint, authorization: headers.authorization ?? null, bodyAuth: form, timeout: c.timeout }))) as Record<string, unknown> & { active: boolean };
    } catch {
      throw core.idpDown();
    }
    if (c.cache_introspection) core.introspections.set(key, result, core.expiry(c.cache_ttl, result.active ? result.exp : undefined));
  }
  if (!result.active && c.introspection_check_active) throw core.unauthorized('The access token is not active');
  return result;
}
