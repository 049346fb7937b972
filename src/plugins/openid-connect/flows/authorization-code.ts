import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PluginContext, PluginResponse } from '../../types.js';
import type { Core } from '../core.js';
import { sessionFrom, setSession } from './session.js';

/** The login in progress, in the authorization cookie. */
interface Login {
  state: string;
  nonce: string;
  verifier: string;
  /** Where to go back to, and the redirect_uri sent. */
  uri: string;
  redirect: string;
}

function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function requestUrl(req: PluginContext, withQuery: boolean): string {
  const proto = req.header('x-forwarded-proto') === 'https' ? 'https' : 'http';
  return `${proto}://${req.header('host') ?? 'localhost'}${req.path}${withQuery && req.query !== '' ? '?' + req.query : ''}`;
}

/** Step 1: send the browser to the IdP with PKCE (S256), state and nonce. Needs client_id. */
export async function startLogin(core: Core, req: PluginContext): Promise<PluginResponse> {
  const c = core.conf;
  if (c.client_id === null) throw core.noCredentials();
  const authz = await core.endpoint('authorization');
  const here = requestUrl(req, c.preserve_query_args);
  const redirect = c.redirect_uri ?? requestUrl(req, false);
  const login: Login = { state: randomBytes(16).toString('base64url'), nonce: randomBytes(16).toString('base64url'), verifier: randomBytes(32).toString('base64url'), uri: here, redirect };
  const ttl = c.authorization_rolling_timeout;
  const sealed = core.sealer.seal('authorization', login, Date.now() + ttl * 1000);
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: c.client_id,
    redirect_uri: redirect,
    scope: c.scopes.join(' '),
    state: login.state,
    nonce: login.nonce,
    code_challenge: pkceChallenge(login.verifier),
    code_challenge_method: 'S256',
  });
  if (c.audience.length > 0) q.set('audience', c.audience.join(' '));
  for (const [k, v] of c.authorization_query_args) q.set(k, v);
  if (c.authorization_query_args_client.length > 0 && req.query !== '') {
    const mine = new URLSearchParams(req.query);
    for (const k of c.authorization_query_args_client) {
      const v = mine.get(k);
      if (v !== null) q.set(k, v);
    }
  }
  req.addResponseHeader('set-cookie', `${c.authorization_cookie.name}=${sealed}${core.cookieAttrs(c.authorization_cookie, ttl)}`);
  return { status: 302, body: '', headers: { location: `${authz}${authz.includes('?') ? '&' : '?'}${q}`, 'cache-control': 'no-store' } };
}

/** Step 2: the IdP sent the browser back with a code: exchange it, start the session, return to the original URL. */
export async function callback(core: Core, req: PluginContext, sealed: string, q: URLSearchParams): Promise<PluginResponse> {
  const c = core.conf;
  const login = core.sealer.open<Login>('authorization', sealed);
  const state = q.get('state');
  req.addResponseHeader('set-cookie', core.clearCookie(c.authorization_cookie));
  if (login === null || state === null || !sameString(state, login.state)) throw core.unauthorized('The login state does not match');
  const code = q.get('code');
  if (code === null) throw core.unauthorized('The identity provider refused the login');
  const res = await core.tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: login.redirect, code_verifier: login.verifier });
  if (res.status !== 200 || res.json === null) throw core.unauthorized('The authorization code was not accepted');
  const session = await sessionFrom(core, res.json, login.nonce, null);
  setSession(core, req, session);
  return { status: 302, body: '', headers: { location: login.uri, 'cache-control': 'no-store' } };
}
