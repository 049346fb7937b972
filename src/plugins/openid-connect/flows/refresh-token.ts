import { sha256 } from '../../oauth/common.js';
import type { Authenticated } from '../authorize.js';
import type { Core } from '../core.js';

/** refresh_token: a refresh token sent by the client (refresh_token_param_name) exchanged for an access token. */
export async function refreshToken(core: Core, token: string): Promise<Authenticated> {
  const key = 'r:' + sha256(token);
  const res = await core.inflight.run(key, () => core.tokenRequest({ grant_type: 'refresh_token', refresh_token: token })) as Awaited<ReturnType<Core['tokenRequest']>>;
  const at = res.json?.access_token;
  if (res.status !== 200 || typeof at !== 'string') throw core.unauthorized('The refresh token was not accepted');
  const claims = at.split('.').length === 3 ? await core.verifyJwt(at) : { scope: res.json!.scope };
  return {
    claims,
    accessToken: at,
    idToken: typeof res.json!.id_token === 'string' ? res.json!.id_token : null,
    refreshToken: typeof res.json!.refresh_token === 'string' ? res.json!.refresh_token : token,
  };
}
