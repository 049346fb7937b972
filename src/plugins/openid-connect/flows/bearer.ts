import type { Authenticated } from '../authorize.js';
import type { Core } from '../core.js';
import { introspection } from './introspection.js';
import { userinfoAuth } from './userinfo.js';

const isJwt = (t: string): boolean => t.split('.').length === 3;

/**
 * A bearer token, by the enabled methods: a JWT verified locally (`bearer`), otherwise (or with
 * introspect_jwt_tokens) introspected (`introspection`), otherwise checked at the user info
 * endpoint (`userinfo`).
 */
export async function bearer(core: Core, token: string): Promise<Authenticated> {
  const m = core.conf.methods;
  if (isJwt(token) && m.has('bearer') && !(core.conf.introspect_jwt_tokens && m.has('introspection'))) {
    return { claims: await core.verifyJwt(token), accessToken: token };
  }
  if (m.has('introspection')) {
    const result = await introspection(core, token);
    return { claims: result, accessToken: token, introspection: result };
  }
  if (m.has('userinfo')) return userinfoAuth(core, token);
  throw core.unauthorized('The access token is not a JWT');
}

/** True when some enabled method takes bearer tokens. */
export function takesBearer(core: Core): boolean {
  const m = core.conf.methods;
  return m.has('bearer') || m.has('introspection') || m.has('userinfo');
}
