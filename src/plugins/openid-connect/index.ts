import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { jose } from '../../lazy.js';
import type { Consumer } from '../../config/types.js';
import type { PluginContext, PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { anonymousFallback } from '../auth.js';
import { basicAuth, bearerChallenge, bearerToken, Inflight, isBasic, postForm, sha256, stateKey, TtlCache } from '../oauth/common.js';
import { introspect, introspectionExpiry } from '../oauth/introspect.js';
import { DiscoveryError, IssuerCache, type Discovery, type KeySet } from './issuer.js';
import { cookieValue, Sealer, withoutCookie } from './seal.js';

type Method = 'bearer' | 'introspection' | 'client_credentials' | 'authorization_code' | 'session';

interface Conf {
  issuer: string;
  client_id: string | string[] | null;
  client_secret: string | string[] | null;
  client_auth: Array<'client_secret_basic' | 'client_secret_post'>;
  auth_methods: Method[];
  scopes: string[];
  scopes_required: string[] | null;
  scopes_claim: string[];
  audience_required: string[] | null;
  audience_claim: string[];
  consumer_claim: string[] | null;
  consumer_by: Array<'id' | 'username' | 'custom_id'>;
  consumer_optional: boolean;
  anonymous: string | null;
  upstream_headers_claims: string[];
  upstream_headers_names: string[];
  upstream_access_token_header: string | null;
  hide_credentials: boolean;
  leeway: number;
  redirect_uri: string | string[] | null;
  logout_uri_suffix: string | null;
  logout_methods: string[];
  logout_query_arg: string | null;
  logout_redirect_uri: string | string[] | null;
  session_secret: string | null;
  session_cookie_name: string;
  session_cookie_secure: boolean | null;
  session_absolute_timeout: number;
  authorization_cookie_name: string;
  authorization_rolling_timeout: number;
  verify_parameters: boolean;
  authorization_endpoint: string | null;
  token_endpoint: string | null;
  introspection_endpoint: string | null;
  introspect_jwt_tokens: boolean;
  cache_ttl: number;
  cache_introspection: boolean;
  cache_tokens: boolean;
  rediscovery_lifetime: number;
  timeout: number;
  run_on_preflight: boolean;
}

/** Asymmetric algorithms only: never `none`, never HMAC with a public key. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const REALM = 'sluice';

/** The session kept (encrypted) in the session cookie. */
interface Session {
  /** Access token, refresh token, access token expiry (s). */
  at: string;
  rt?: string;
  exp: number;
  /** Claims checked and forwarded: the id token's, overlaid with the access token's. */
  c: JWTPayload;
  /** Session start (s), for session_absolute_timeout. */
  iat: number;
}

/** The login in progress, in the authorization cookie. */
interface Login {
  state: string;
  nonce: string;
  verifier: string;
  /** Where to go back to, and the redirect_uri sent. */
  uri: string;
  redirect: string;
}

/** A token obtained with client_credentials, and its checked claims. */
interface Obtained {
  token: string;
  claims: JWTPayload;
}

class AuthError extends Error {
  constructor(readonly response: PluginResponse) {
    super(response.message ?? 'authentication failed');
  }
}

const first = (v: string | string[] | null): string | null => (v === null ? null : Array.isArray(v) ? (v[0] ?? null) : v);

function claimAt(claims: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = claims;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

function asList(v: unknown): string[] {
  if (typeof v === 'string') return v.split(' ').filter((s) => s !== '');
  if (Array.isArray(v)) return v.filter((s): s is string => typeof s === 'string');
  return [];
}

/** Kong's AND/OR rule: any entry of `required` whose space-separated values are all in `have`. */
function satisfies(required: readonly (readonly string[])[], have: readonly string[]): boolean {
  if (required.length === 0) return true;
  const set = new Set(have);
  return required.some((all) => all.every((s) => set.has(s)));
}

function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function headerText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(String).join(',');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * openid-connect (Kong priority 1050). Order of the methods, as Kong: the login callback and
 * logout, then the session cookie, then a Bearer token (JWT verified locally, otherwise
 * introspected), then Basic client credentials, then a redirect to the IdP for browsers.
 */
export const openidConnect: PluginDefinition = {
  name: 'openid-connect',
  priority: 1050,
  schema: pluginSchema('openid-connect'),
  authenticates: true,
  create(instance, ctx) {
    const conf = instance.config as unknown as Conf;
    const methods = new Set(conf.auth_methods);
    const clientId = first(conf.client_id);
    const clientSecret = first(conf.client_secret);
    const timeout = conf.timeout;
    const leeway = conf.leeway;
    // Discovery + JWKS are per issuer: every plugin instance of that issuer shares them, across reloads.
    const idp = ctx.state(`openid-connect:issuer:${conf.issuer}`, () => new IssuerCache(conf.issuer, timeout));
    const introspections = ctx.state(stateKey(instance, 'introspection'), () => new TtlCache<Record<string, unknown> & { active: boolean }>());
    const tokens = ctx.state(stateKey(instance, 'tokens'), () => new TtlCache<Obtained>());
    const inflight = ctx.state(stateKey(instance, 'inflight'), () => new Inflight<unknown>());
    const sealer = new Sealer(
      conf.session_secret ?? (clientSecret !== null ? `${conf.issuer}\0${clientId ?? ''}\0${clientSecret}` : ctx.state(stateKey(instance, 'secret'), () => randomBytes(32).toString('hex'))),
    );
    const scopesRequired = (conf.scopes_required ?? []).map((s) => s.split(' ').filter((x) => x !== ''));
    const audienceRequired = (conf.audience_required ?? []).map((s) => s.split(' ').filter((x) => x !== ''));
    const requiredScopeText = (conf.scopes_required ?? []).join(' ');
    const upstreamClaims = conf.upstream_headers_claims.slice(0, conf.upstream_headers_names.length).map((c, i): [string, string] => [c, conf.upstream_headers_names[i]!.toLowerCase()]);
    let tokenHeader: string | null = null;
    let tokenBearer = false;
    if (conf.upstream_access_token_header !== null) {
      const [name, kind] = conf.upstream_access_token_header.split(':');
      tokenHeader = name!.trim().toLowerCase();
      tokenBearer = kind?.trim().toLowerCase() === 'bearer';
    }
    const byId = new Map<string, Consumer>();
    const byUsername = new Map<string, Consumer>();
    const byCustom = new Map<string, Consumer>();
    for (const c of ctx.config.consumers) {
      byId.set(c.id, c);
      if (c.username !== null) byUsername.set(c.username, c);
      if (c.custom_id !== null) byCustom.set(c.custom_id, c);
    }
    const fallback = anonymousFallback(conf.anonymous, ctx.consumers);
    const logoutMethods = new Set(conf.logout_methods);
    const logoutRedirect = first(conf.logout_redirect_uri);
    const redirectUri = first(conf.redirect_uri);
    const secureCookie = conf.session_cookie_secure ?? (redirectUri !== null ? redirectUri.startsWith('https:') : null);

    const challenge = (error?: string, description?: string, scope?: string) => bearerChallenge(REALM, error, description, scope);
    const unauthorized = (description: string): AuthError =>
      new AuthError({ status: 401, message: 'Unauthorized', headers: { 'www-authenticate': challenge('invalid_token', description) } });
    const noCredentials: PluginResponse = { status: 401, message: 'Unauthorized', headers: { 'www-authenticate': challenge() } };
    const insufficientScope: PluginResponse = {
      status: 403,
      message: 'Forbidden',
      headers: { 'www-authenticate': challenge('insufficient_scope', 'The access token does not have the required scopes', requiredScopeText || undefined) },
    };
    const noConsumer: PluginResponse = { status: 403, message: 'Forbidden' };
    const idpDown: PluginResponse = { status: 502, message: 'The identity provider could not be reached' };
    const misconfigured: PluginResponse = { status: 500, message: 'An unexpected error occurred' };

    /** Discovery (lazily), with the endpoint overrides of the config. */
    const discover = async (): Promise<{ discovery: Discovery; keys: KeySet | null }> => {
      const got = await idp.get();
      if (conf.verify_parameters) {
        const d = got.discovery;
        const grants = d.grant_types_supported ?? ['authorization_code'];
        const bad =
          (methods.has('client_credentials') && !grants.includes('client_credentials')) ||
          (methods.has('authorization_code') && !grants.includes('authorization_code')) ||
          (methods.has('authorization_code') && d.code_challenge_methods_supported !== undefined && !d.code_challenge_methods_supported.includes('S256'));
        if (bad) throw new AuthError(misconfigured);
      }
      return got;
    };
    const endpoint = (d: Discovery, which: 'token' | 'introspection' | 'authorization'): string => {
      const url = which === 'token' ? conf.token_endpoint ?? d.token_endpoint : which === 'introspection' ? conf.introspection_endpoint ?? d.introspection_endpoint : conf.authorization_endpoint ?? d.authorization_endpoint;
      if (url === undefined || url === null) throw new AuthError(misconfigured);
      return url;
    };
    /** Client authentication of the gateway itself (client_auth). */
    const clientAuth = (form: Record<string, string>, headers: Record<string, string>): void => {
      if (clientId === null) return;
      if (conf.client_auth[0] === 'client_secret_post') {
        form.client_id = clientId;
        if (clientSecret !== null) form.client_secret = clientSecret;
      } else if (clientSecret !== null) headers.authorization = basicAuth(clientId, clientSecret);
      else form.client_id = clientId;
    };

    /** Verifies a JWT with the IdP's keys; an unknown kid re-fetches them once (rate-limited). */
    const verifyJwt = async (jwt: string, opts: { audience?: string; nonce?: string } = {}): Promise<JWTPayload> => {
      let { discovery, keys } = await discover();
      for (let attempt = 0; ; attempt++) {
        if (keys === null) throw unauthorized('The issuer publishes no signing keys');
        try {
          const { payload } = await jose().jwtVerify(jwt, keys, {
            issuer: discovery.issuer,
            algorithms: ALGORITHMS,
            clockTolerance: leeway,
            requiredClaims: ['exp'],
            audience: opts.audience,
          });
          if (opts.nonce !== undefined && payload.nonce !== opts.nonce) throw unauthorized('The id token nonce does not match');
          return payload;
        } catch (err) {
          if (err instanceof AuthError) throw err;
          if (err instanceof jose().errors.JWKSNoMatchingKey && attempt === 0) {
            if (await idp.refresh(conf.rediscovery_lifetime * 1000).catch(() => false)) {
              ({ discovery, keys } = await discover());
              continue;
            }
          }
          throw unauthorized(describe(err));
        }
      }
    };

    /** Audience, scopes, consumer, upstream headers: the checks every method shares. */
    const authorize = (req: PluginContext, claims: Record<string, unknown>, accessToken: string | null): PluginResponse | void => {
      if (audienceRequired.length > 0 && !satisfies(audienceRequired, asList(claimAt(claims, conf.audience_claim)))) {
        return { status: 401, message: 'Unauthorized', headers: { 'www-authenticate': challenge('invalid_token', 'The access token audience is not accepted') } };
      }
      if (scopesRequired.length > 0) {
        let scopes = claimAt(claims, conf.scopes_claim);
        if (scopes === undefined) scopes = claims.scp;
        if (!satisfies(scopesRequired, asList(scopes))) return insufficientScope;
      }
      if (conf.consumer_claim !== null) {
        const ref = claimAt(claims, conf.consumer_claim);
        let consumer: Consumer | undefined;
        if (typeof ref === 'string') {
          for (const by of conf.consumer_by) {
            consumer = (by === 'id' ? byId : by === 'username' ? byUsername : byCustom).get(ref);
            if (consumer !== undefined) break;
          }
        }
        if (consumer !== undefined) req.authenticate(consumer, typeof claims.sub === 'string' ? claims.sub : null, false);
        else if (!conf.consumer_optional) return noConsumer;
      }
      for (const [claim, header] of upstreamClaims) req.setUpstreamHeader(header, headerText(claims[claim]));
      if (conf.hide_credentials) {
        req.setUpstreamHeader('authorization', null);
        const cookie = req.header('cookie');
        if (cookie !== undefined) req.setUpstreamHeader('cookie', withoutCookie(cookie, conf.session_cookie_name));
      }
      if (tokenHeader !== null && accessToken !== null) req.setUpstreamHeader(tokenHeader, tokenBearer ? 'Bearer ' + accessToken : accessToken);
    };

    const introspectToken = async (token: string): Promise<Record<string, unknown>> => {
      const key = sha256(token);
      let result = conf.cache_introspection ? introspections.get(key) : undefined;
      if (result === undefined) {
        const { discovery } = await discover();
        const url = endpoint(discovery, 'introspection');
        const form: Record<string, string> = {};
        const headers: Record<string, string> = {};
        clientAuth(form, headers);
        try {
          result = (await inflight.run('i:' + key, () => introspect(url, token, { hint: 'access_token', authorization: headers.authorization ?? null, bodyAuth: form, timeout }))) as Record<string, unknown> & { active: boolean };
        } catch {
          throw new AuthError(idpDown);
        }
        if (conf.cache_introspection) introspections.set(key, result, introspectionExpiry(result, conf.cache_ttl));
      }
      if (!result.active) throw unauthorized('The access token is not active');
      return result;
    };

    /** client_credentials: the client's Basic credentials exchanged for a token (cached until shortly before it expires). */
    const clientCredentials = async (authorization: string): Promise<Obtained> => {
      const key = sha256(authorization);
      const cached = conf.cache_tokens ? tokens.get(key) : undefined;
      if (cached !== undefined) return cached;
      return (await inflight.run('c:' + key, async () => {
        const { discovery } = await discover();
        const url = endpoint(discovery, 'token');
        const form: Record<string, string> = { grant_type: 'client_credentials' };
        const scope = conf.scopes.filter((s) => s !== 'openid' && s !== 'offline_access');
        if (scope.length > 0) form.scope = scope.join(' ');
        let res;
        try {
          res = await postForm(url, form, { authorization }, timeout);
        } catch {
          throw new AuthError(idpDown);
        }
        const token = res.json?.access_token;
        if (res.status !== 200 || typeof token !== 'string') throw unauthorized('The client credentials are invalid');
        const claims = token.split('.').length === 3 ? await verifyJwt(token) : { scope: res.json!.scope };
        const obtained: Obtained = { token, claims };
        const expiresIn = typeof res.json!.expires_in === 'number' ? res.json!.expires_in : 60;
        // Reuse until 10% of its lifetime (at most 30 s) before expiry.
        const exp = Date.now() + expiresIn * 1000 - Math.min(30000, expiresIn * 100);
        if (conf.cache_tokens && exp > Date.now()) tokens.set(key, obtained, exp);
        return obtained;
      })) as Obtained;
    };

    const cookieAttrs = (maxAge: number): string => `; Path=/; HttpOnly; SameSite=Lax; Max-Age=${Math.max(0, Math.floor(maxAge))}${secureCookie === true ? '; Secure' : ''}`;
    const clearCookie = (name: string) => `${name}=${cookieAttrs(0)}`;

    const requestUrl = (req: PluginContext): string => {
      const proto = req.header('x-forwarded-proto') === 'https' ? 'https' : 'http';
      return `${proto}://${req.header('host') ?? 'localhost'}${req.path}${req.query === '' ? '' : '?' + req.query}`;
    };

    /** authorization_code, step 1: send the browser to the IdP with PKCE, state and nonce. */
    const startLogin = async (req: PluginContext): Promise<PluginResponse> => {
      const { discovery } = await discover();
      const authz = endpoint(discovery, 'authorization');
      if (clientId === null) return misconfigured;
      const here = requestUrl(req);
      const redirect = redirectUri ?? here.split('?')[0]!;
      const login: Login = { state: randomBytes(16).toString('base64url'), nonce: randomBytes(16).toString('base64url'), verifier: randomBytes(32).toString('base64url'), uri: here, redirect };
      const ttl = conf.authorization_rolling_timeout;
      const sealed = sealer.seal('authorization', login, Date.now() + ttl * 1000);
      const q = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirect,
        scope: conf.scopes.join(' '),
        state: login.state,
        nonce: login.nonce,
        code_challenge: pkceChallenge(login.verifier),
        code_challenge_method: 'S256',
      });
      req.addResponseHeader('set-cookie', `${conf.authorization_cookie_name}=${sealed}${cookieAttrs(ttl)}`);
      return { status: 302, body: '', headers: { location: `${authz}${authz.includes('?') ? '&' : '?'}${q}`, 'cache-control': 'no-store' } };
    };

    /** Token endpoint answer → session (verifies the id token when there is one). */
    const sessionFrom = async (json: Record<string, unknown>, nonce: string | undefined, previous: Session | null): Promise<Session> => {
      const at = json.access_token;
      if (typeof at !== 'string') throw unauthorized('The token endpoint returned no access token');
      let claims: JWTPayload = previous?.c ?? {};
      if (typeof json.id_token === 'string') claims = await verifyJwt(json.id_token, { audience: clientId ?? undefined, nonce });
      else if (previous === null) throw unauthorized('The token endpoint returned no id token');
      let exp = Math.floor(Date.now() / 1000) + (typeof json.expires_in === 'number' ? json.expires_in : 300);
      if (at.split('.').length === 3) {
        // Straight from the token endpoint over our own connection: its claims can be read as is.
        const a = jose().decodeJwt(at);
        claims = { ...claims, ...a };
        if (typeof a.exp === 'number') exp = a.exp;
      }
      const rt = typeof json.refresh_token === 'string' ? json.refresh_token : previous?.rt;
      return { at, rt, exp, c: claims, iat: previous?.iat ?? Math.floor(Date.now() / 1000) };
    };

    const setSession = (req: PluginContext, s: Session): void => {
      const lifetime = conf.session_absolute_timeout > 0 ? s.iat + conf.session_absolute_timeout - Date.now() / 1000 : s.rt !== undefined ? 30 * 86400 : s.exp + leeway - Date.now() / 1000;
      req.addResponseHeader('set-cookie', `${conf.session_cookie_name}=${sealer.seal('session', s, Date.now() + lifetime * 1000)}${cookieAttrs(lifetime)}`);
    };

    const tokenRequest = async (form: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> | null }> => {
      const { discovery } = await discover();
      const url = endpoint(discovery, 'token');
      const headers: Record<string, string> = {};
      clientAuth(form, headers);
      try {
        return await postForm(url, form, headers, timeout);
      } catch {
        throw new AuthError(idpDown);
      }
    };

    /** authorization_code, step 2: the IdP sent the browser back with a code. */
    const callback = async (req: PluginContext, sealed: string, q: URLSearchParams): Promise<PluginResponse> => {
      const login = sealer.open<Login>('authorization', sealed);
      const state = q.get('state');
      req.addResponseHeader('set-cookie', clearCookie(conf.authorization_cookie_name));
      if (login === null || state === null || !sameString(state, login.state)) throw unauthorized('The login state does not match');
      const code = q.get('code');
      if (code === null) throw unauthorized('The identity provider refused the login');
      const res = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: login.redirect, code_verifier: login.verifier });
      if (res.status !== 200 || res.json === null) throw unauthorized('The authorization code was not accepted');
      const session = await sessionFrom(res.json, login.nonce, null);
      setSession(req, session);
      return { status: 302, body: '', headers: { location: login.uri, 'cache-control': 'no-store' } };
    };

    /** A session cookie: valid, refreshed, or null (fall through to the other methods). */
    const fromSession = async (req: PluginContext, sealed: string): Promise<Session | null> => {
      let s = sealer.open<Session>('session', sealed);
      if (s === null) return null;
      const now = Date.now() / 1000;
      if (conf.session_absolute_timeout > 0 && s.iat + conf.session_absolute_timeout <= now) return null;
      if (s.exp + leeway <= now) {
        if (s.rt === undefined) return null;
        const res = await tokenRequest({ grant_type: 'refresh_token', refresh_token: s.rt });
        if (res.status !== 200 || res.json === null) return null;
        s = await sessionFrom(res.json, undefined, s);
        setSession(req, s);
      }
      return s;
    };

    const isLogout = (req: PluginContext): boolean => {
      if (!logoutMethods.has(req.method)) return false;
      if (conf.logout_uri_suffix !== null && req.path.endsWith(conf.logout_uri_suffix)) return true;
      return conf.logout_query_arg !== null && req.query !== '' && new URLSearchParams(req.query).has(conf.logout_query_arg);
    };

    const run = async (req: PluginContext): Promise<PluginResponse | void> => {
      const cookies = req.header('cookie');
      // 1. The IdP redirecting back after login.
      if (methods.has('authorization_code') && cookies !== undefined && req.query.includes('state=')) {
        const sealed = cookieValue(cookies, conf.authorization_cookie_name);
        if (sealed !== undefined) {
          const q = new URLSearchParams(req.query);
          if (q.has('code') || q.has('error')) return callback(req, sealed, q);
        }
      }
      // 2. Logout, 3. the session cookie.
      const sealedSession = methods.has('session') && cookies !== undefined ? cookieValue(cookies, conf.session_cookie_name) : undefined;
      if (sealedSession !== undefined && isLogout(req)) {
        req.addResponseHeader('set-cookie', clearCookie(conf.session_cookie_name));
        if (logoutRedirect !== null) return { status: 302, body: '', headers: { location: logoutRedirect, 'cache-control': 'no-store' } };
        return { status: 200, body: '{"message":"logged out"}', headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } };
      }
      if (sealedSession !== undefined) {
        const s = await fromSession(req, sealedSession);
        if (s !== null) return authorize(req, s.c, s.at);
        req.addResponseHeader('set-cookie', clearCookie(conf.session_cookie_name));
      }
      // 4. A bearer token: a JWT verified locally, or introspected.
      const authorization = req.header('authorization');
      const token = bearerToken(authorization);
      if (token !== undefined && (methods.has('bearer') || methods.has('introspection'))) {
        const jwt = token.split('.').length === 3;
        if (jwt && methods.has('bearer') && !(conf.introspect_jwt_tokens && methods.has('introspection'))) return authorize(req, await verifyJwt(token), token);
        if (methods.has('introspection')) return authorize(req, await introspectToken(token), token);
        throw unauthorized('The access token is not a JWT');
      }
      // 5. Client credentials exchanged for a token.
      if (methods.has('client_credentials') && isBasic(authorization)) {
        const got = await clientCredentials(authorization!);
        return authorize(req, got.claims, got.token);
      }
      // 6. A browser: log in at the IdP.
      if (methods.has('authorization_code') && (req.method === 'GET' || req.method === 'HEAD')) return startLogin(req);
      throw new AuthError(noCredentials);
    };

    return {
      async access(req) {
        if (req.method === 'OPTIONS' && !conf.run_on_preflight) return;
        if (req.consumer !== null && fallback !== null) return;
        try {
          const r = await run(req);
          if (r !== undefined && r.status === 401 && fallback !== null) return fallback(req);
          return r;
        } catch (err) {
          if (err instanceof AuthError) {
            if (err.response.status === 401 && fallback !== null) return fallback(req);
            return err.response;
          }
          if (err instanceof DiscoveryError) return idpDown;
          throw err;
        }
      },
    };
  },
};

/** An RFC 6750 error_description for a jose verification error (no token content in it). */
function describe(err: unknown): string {
  const e = jose().errors;
  if (err instanceof e.JWTExpired) return 'The access token expired';
  if (err instanceof e.JWSSignatureVerificationFailed) return 'The access token signature is invalid';
  if (err instanceof e.JWKSNoMatchingKey) return 'The access token was signed by an unknown key';
  if (err instanceof e.JOSEAlgNotAllowed) return 'The access token algorithm is not allowed';
  if (err instanceof e.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'The access token is not yet valid';
    if (err.claim === 'iss') return 'The access token issuer is not accepted';
    if (err.claim === 'aud') return 'The token audience is not accepted';
    return `The access token ${err.claim} claim is invalid`;
  }
  if (err instanceof e.JWTInvalid || err instanceof e.JWSInvalid) return 'The access token is malformed';
  return 'The access token is invalid';
}
