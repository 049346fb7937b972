import type { PluginContext, PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { anonymousFallback } from '../auth.js';
import { authorize, type Authenticated } from './authorize.js';
import { checkConf, resolveConf } from './config.js';
import { Core, OidcError } from './core.js';
import { findBearer, findNamed, findPair } from './credentials.js';
import { DiscoveryError } from './issuer.js';
import { cookieValue } from './seal.js';
import { callback, startLogin } from './flows/authorization-code.js';
import { bearer, takesBearer } from './flows/bearer.js';
import { clientCredentials, password } from './flows/client-credentials.js';
import { refreshToken } from './flows/refresh-token.js';
import { fromSession, isLogout, logout } from './flows/session.js';

/**
 * openid-connect (Kong priority 1050), with the field names of Kong's plugin (fields.ts says what
 * each does in Sluice). One module per flow in flows/; this file picks the flow, in Kong's order:
 * the login callback and logout, the session cookie, a refresh token, a bearer token (JWT,
 * introspection, user info), client credentials or a password (Basic or arguments), and last a
 * redirect to the IdP for browsers. Then authorize.ts checks the claims and sets the headers.
 */
export const openidConnect: PluginDefinition = {
  name: 'openid-connect',
  priority: 1050,
  schema: pluginSchema('openid-connect'),
  authenticates: true,
  check: checkConf,
  create(instance, ctx) {
    const conf = resolveConf(instance.config);
    const core = new Core(conf, instance, ctx);
    const m = conf.methods;
    const fallback = anonymousFallback(conf.anonymous, ctx.consumers);

    /** The first flow that applies to the request: its result, or a response of its own (login, logout). */
    const authenticate = async (req: PluginContext, body: Buffer | null): Promise<Authenticated | PluginResponse> => {
      const cookies = req.header('cookie');
      // 1. The IdP redirecting back after login.
      if (m.has('authorization_code') && cookies !== undefined && req.query.includes('state=')) {
        const sealed = cookieValue(cookies, conf.authorization_cookie.name);
        if (sealed !== undefined) {
          const q = new URLSearchParams(req.query);
          if (q.has('code') || q.has('error')) return callback(core, req, sealed, q);
        }
      }
      // 2. Logout, 3. the session cookie.
      const sealedSession = m.has('session') && cookies !== undefined ? cookieValue(cookies, conf.session_cookie.name) : undefined;
      if (sealedSession !== undefined) {
        if (isLogout(core, req)) return logout(core, req);
        const s = await fromSession(core, req, sealedSession);
        if (s !== null) return s;
        req.addResponseHeader('set-cookie', core.clearCookie(conf.session_cookie));
      }
      // 4. A refresh token sent by the client.
      if (m.has('refresh_token') && conf.refresh_token_param_name !== null) {
        const rt = findNamed(req, body, conf.refresh_token_param_type, conf.refresh_token_param_name);
        if (rt !== undefined) return refreshToken(core, rt.value);
      }
      // 5. A bearer token.
      if (takesBearer(core)) {
        const found = findBearer(req, body, conf.bearer_token_param_type, conf.bearer_token_cookie_name);
        if (found !== undefined) return { ...(await bearer(core, found.value)), tokenFrom: found.from };
      }
      // 6. A password (with the gateway's client), then client credentials (the client's own).
      if (m.has('password') && conf.client_id !== null) {
        const pair = findPair(req, body, conf.password_param_type, 'username', 'password');
        if (pair !== undefined) {
          try {
            return await password(core, pair);
          } catch (err) {
            if (!(err instanceof OidcError && err.kind === 'unauthorized' && m.has('client_credentials'))) throw err;
          }
        }
      }
      if (m.has('client_credentials')) {
        const pair = findPair(req, body, conf.client_credentials_param_type, 'client_id', 'client_secret');
        if (pair !== undefined) return clientCredentials(core, pair);
      }
      // 7. A browser: log in at the IdP (only with the gateway's own client).
      if (m.has('authorization_code') && conf.client_id !== null && (req.method === 'GET' || req.method === 'HEAD')) return startLogin(core, req);
      throw core.noCredentials();
    };

    /** An id token sent by the client (id_token_param_name): verified for this client, its claims under the access token's. */
    const withIdToken = async (req: PluginContext, body: Buffer | null, a: Authenticated): Promise<Authenticated> => {
      if (conf.id_token_param_name === null) return a;
      const found = findNamed(req, body, conf.id_token_param_type, conf.id_token_param_name);
      if (found === undefined) return a;
      const claims = await core.verifyJwt(found.value, { audience: conf.client_id ?? undefined, what: 'id token' });
      return { ...a, claims: { ...claims, ...a.claims }, idToken: found.value };
    };

    /** Kong's *_redirect_uri and *_destroy_session for a failure. */
    const failure = (req: PluginContext, err: OidcError): PluginResponse => {
      const to = err.kind === 'unauthorized' ? conf.unauthorized_redirect_uri : err.kind === 'forbidden' ? conf.forbidden_redirect_uri : conf.unexpected_redirect_uri;
      const destroy = err.kind === 'unauthorized' ? conf.unauthorized_destroy_session : err.kind === 'forbidden' ? conf.forbidden_destroy_session : false;
      if (destroy && m.has('session') && cookieValue(req.header('cookie'), conf.session_cookie.name) !== undefined) req.addResponseHeader('set-cookie', core.clearCookie(conf.session_cookie));
      if (to !== null) return { status: 302, body: '', headers: { location: to, 'cache-control': 'no-store' } };
      return err.response;
    };

    const access = async (req: PluginContext, body: Buffer | null): Promise<PluginResponse | void> => {
      if (req.method === 'OPTIONS' && !conf.run_on_preflight) return;
      if (req.consumer !== null && fallback !== null) return;
      try {
        const got = await authenticate(req, body);
        if ('status' in got) return got;
        await authorize(core, req, await withIdToken(req, body, got));
      } catch (err) {
        const e = err instanceof DiscoveryError ? core.idpDown() : err;
        if (!(e instanceof OidcError)) throw err;
        if (e.kind === 'unauthorized' && fallback !== null) return fallback(req);
        return failure(req, e);
      }
    };
    // Tokens and credentials in the body are read only where a param type lists `body`.
    const readsBody = [conf.bearer_token_param_type, conf.client_credentials_param_type, conf.password_param_type, conf.id_token_param_type, conf.refresh_token_param_type].some((t) => t.has('body'));
    if (readsBody) return { bufferRequestBody: true, access: (req, body) => access(req, body.requestBody) };
    return { access: (req) => access(req, null) };
  },
};
