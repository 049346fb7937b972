import type { JWTPayload } from 'jose';
import { jose } from '../../../lazy.js';
import type { PluginContext, PluginResponse } from '../../types.js';
import type { Authenticated } from '../authorize.js';
import type { Core } from '../core.js';

/** The session kept (encrypted) in the session cookie. Times in seconds. */
export interface Session {
  /** Access token, refresh token, id token (kept only when a header wants it), access token expiry. */
  at: string;
  rt?: string;
  it?: string;
  exp: number;
  /** Claims checked and forwarded: the id token's, overlaid with the access token's. */
  c: JWTPayload;
  /** Start (session_absolute_timeout), last renewal (session_rolling_timeout), last use (session_idling_timeout). */
  iat: number;
  ra?: number;
  la?: number;
}

/** Seconds, to the millisecond (idle and rolling timeouts may be short). */
const stamp = (): number => Math.round(Date.now()) / 1000;

/** Token endpoint answer → session (verifies the id token when there is one). */
export async function sessionFrom(core: Core, json: Record<string, unknown>, nonce: string | undefined, previous: Session | null): Promise<Session> {
  const c = core.conf;
  const at = json.access_token;
  if (typeof at !== 'string') throw core.unauthorized('The token endpoint returned no access token');
  let claims: JWTPayload = previous?.c ?? {};
  let it = previous?.it;
  if (typeof json.id_token === 'string') {
    claims = await core.verifyJwt(json.id_token, { audience: c.client_id ?? undefined, nonce, what: 'id token' });
    if (c.upstream_id_token_header !== null || c.downstream_id_token_header !== null) it = json.id_token;
  } else if (previous === null) throw core.unauthorized('The token endpoint returned no id token');
  let exp = Math.floor(Date.now() / 1000) + (typeof json.expires_in === 'number' ? json.expires_in : 300);
  if (at.split('.').length === 3) {
    // Straight from the token endpoint over our own connection: its claims can be read as is.
    const a = jose().decodeJwt(at);
    claims = { ...claims, ...a };
    if (typeof a.exp === 'number') exp = a.exp;
  }
  const rt = typeof json.refresh_token === 'string' ? json.refresh_token : previous?.rt;
  const now = stamp();
  return { at, rt, it, exp, c: claims, iat: previous?.iat ?? Math.floor(now), ra: now, la: now };
}

/** Sets the session cookie (Max-Age: what is left of the absolute timeout, or of the tokens). */
export function setSession(core: Core, req: PluginContext, s: Session): void {
  const c = core.conf;
  const now = Date.now() / 1000;
  const lifetime = c.session_absolute_timeout > 0 ? s.iat + c.session_absolute_timeout - now : s.rt !== undefined ? 30 * 86400 : s.exp + c.leeway - now;
  req.addResponseHeader('set-cookie', `${c.session_cookie.name}=${core.sealer.seal('session', s, Date.now() + lifetime * 1000)}${core.cookieAttrs(c.session_cookie, lifetime)}`);
}

/**
 * A session cookie: valid (renewed when due, refreshed with its refresh token when its access
 * token expired), or null (fall through to the other methods). The absolute, rolling and idling
 * timeouts are lua-resty-session's, which Kong uses: 0 turns each off.
 */
export async function fromSession(core: Core, req: PluginContext, sealed: string): Promise<Authenticated | null> {
  const c = core.conf;
  let s = core.sealer.open<Session>('session', sealed);
  if (s === null) return null;
  const now = Date.now() / 1000;
  if (c.session_absolute_timeout > 0 && s.iat + c.session_absolute_timeout <= now) return null;
  const rolledAt = s.ra ?? s.iat;
  const usedAt = s.la ?? rolledAt;
  if (c.session_rolling_timeout > 0 && rolledAt + c.session_rolling_timeout <= now) return null;
  if (c.session_idling_timeout > 0 && usedAt + c.session_idling_timeout <= now) return null;
  if (s.exp + c.leeway <= now) {
    if (s.rt === undefined || !c.refresh_tokens) return null;
    const res = await core.tokenRequest({ grant_type: 'refresh_token', refresh_token: s.rt });
    if (res.status !== 200 || res.json === null) return null;
    s = await sessionFrom(core, res.json, undefined, s);
    setSession(core, req, s);
  } else {
    // Renew the cookie (new last-use and renewal times) once a slice of the shorter timeout has passed.
    const spans = [c.session_rolling_timeout, c.session_idling_timeout].filter((t) => t > 0);
    const slice = spans.length > 0 ? Math.min(60, Math.min(...spans) / 4) : Infinity;
    if (now - usedAt >= slice) {
      s = { ...s, ra: stamp(), la: stamp() };
      setSession(core, req, s);
    }
  }
  return { claims: s.c, accessToken: s.at, idToken: s.it ?? null, refreshToken: s.rt ?? null };
}

/** True when the request asks to end the session (logout_uri_suffix / logout_query_arg with a logout method). */
export function isLogout(core: Core, req: PluginContext): boolean {
  const c = core.conf;
  if (!c.logout_methods.has(req.method)) return false;
  if (c.logout_uri_suffix !== null && req.path.endsWith(c.logout_uri_suffix)) return true;
  return c.logout_query_arg !== null && req.query !== '' && new URLSearchParams(req.query).has(c.logout_query_arg);
}

export function logout(core: Core, req: PluginContext): PluginResponse {
  const c = core.conf;
  req.addResponseHeader('set-cookie', core.clearCookie(c.session_cookie));
  if (c.logout_redirect_uri !== null) return { status: 302, body: '', headers: { location: c.logout_redirect_uri, 'cache-control': 'no-store' } };
  return { status: 200, body: '{"message":"logged out"}', headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } };
}
