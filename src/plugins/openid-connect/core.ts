import { randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { jose } from '../../lazy.js';
import type { Consumer, PluginInstance } from '../../config/types.js';
import type { PluginCreateContext, PluginResponse } from '../types.js';
import { basicAuth, bearerChallenge, Inflight, stateKey, TtlCache } from '../oauth/common.js';
import type { Conf, CookieConf } from './config.js';
import { IdpHttp, type IdpAnswer } from './http.js';
import { IssuerCache, type Discovery, type KeySet } from './issuer.js';
import { Sealer } from './seal.js';

/** Asymmetric algorithms only: never `none`, never HMAC with a public key. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** A flow's verdict other than success: 401 / 403 / 5xx, with its response. */
export class OidcError extends Error {
  constructor(readonly kind: 'unauthorized' | 'forbidden' | 'unexpected', readonly response: PluginResponse) {
    super(response.message ?? kind);
  }
}

/** A token obtained from the token endpoint (client_credentials, password, refresh_token), and its claims. */
export interface Obtained {
  token: string;
  claims: JWTPayload;
  idToken?: string;
  refreshToken?: string;
}

/**
 * What every flow shares: the resolved config, the IdP (discovery, JWKS, HTTP), caches, the
 * cookie sealer, the consumer index, and the error responses in Kong's shape (realm = the
 * issuer's host; `error` and `error_description` per expose_error_code / display_errors).
 */
export class Core {
  readonly realm: string;
  readonly http: IdpHttp;
  readonly idp: IssuerCache;
  readonly introspections: TtlCache<Record<string, unknown> & { active: boolean }>;
  readonly tokens: TtlCache<Obtained>;
  readonly userinfos: TtlCache<Record<string, unknown>>;
  readonly inflight: Inflight<unknown>;
  readonly sealer: Sealer;
  readonly byId = new Map<string, Consumer>();
  readonly byUsername = new Map<string, Consumer>();
  readonly byCustom = new Map<string, Consumer>();
  /** Secure cookie attribute when the config leaves it open: with an https redirect URI. */
  readonly secureByDefault: boolean | null;

  constructor(readonly conf: Conf, instance: PluginInstance, ctx: PluginCreateContext) {
    this.realm = realmOf(conf.issuer);
    this.http = new IdpHttp(conf.timeout, conf.ssl_verify);
    // Discovery + JWKS are per issuer: every plugin instance of that issuer shares them, across reloads.
    this.idp = ctx.state(`openid-connect:issuer:${conf.issuer}:${conf.ssl_verify ? 'v' : 'n'}`, () => new IssuerCache(conf.issuer, this.http));
    this.introspections = ctx.state(stateKey(instance, 'introspection'), () => new TtlCache());
    this.tokens = ctx.state(stateKey(instance, 'tokens'), () => new TtlCache());
    this.userinfos = ctx.state(stateKey(instance, 'userinfo'), () => new TtlCache());
    this.inflight = ctx.state(stateKey(instance, 'inflight'), () => new Inflight<unknown>());
    this.sealer = new Sealer(
      conf.session_secret ??
        (conf.client_secret !== null ? `${conf.issuer}\0${conf.client_id ?? ''}\0${conf.client_secret}` : ctx.state(stateKey(instance, 'secret'), () => randomBytes(32).toString('hex'))),
    );
    const fold = (s: string) => (conf.by_username_ignore_case ? s.toLowerCase() : s);
    for (const c of ctx.config.consumers) {
      this.byId.set(c.id, c);
      if (c.username !== null) this.byUsername.set(fold(c.username), c);
      if (c.custom_id !== null) this.byCustom.set(c.custom_id, c);
    }
    this.secureByDefault = conf.redirect_uri !== null ? conf.redirect_uri.startsWith('https:') : null;
  }

  findConsumer(by: 'id' | 'username' | 'custom_id', ref: string): Consumer | undefined {
    if (by === 'id') return this.byId.get(ref);
    if (by === 'username') return this.byUsername.get(this.conf.by_username_ignore_case ? ref.toLowerCase() : ref);
    return this.byCustom.get(ref);
  }

  // ---- responses -------------------------------------------------------------------------

  challenge(error?: string, description?: string, scope?: string): string {
    const c = this.conf;
    return bearerChallenge(this.realm, c.expose_error_code ? error : undefined, c.expose_error_code && c.display_errors ? description : undefined, c.expose_error_code ? scope : undefined);
  }

  /** 401 invalid_token (or another RFC 6750 error). */
  unauthorized(description: string, error = 'invalid_token'): OidcError {
    return new OidcError('unauthorized', { status: 401, message: this.conf.unauthorized_error_message, headers: { 'www-authenticate': this.challenge(error, description) } });
  }

  /** 401 without an error code: no credentials were presented. */
  noCredentials(): OidcError {
    return new OidcError('unauthorized', { status: 401, message: this.conf.unauthorized_error_message, headers: { 'www-authenticate': this.challenge() } });
  }

  /** 403 insufficient_scope (missing scopes, groups or roles; a forbidden claim). */
  insufficient(description: string, scope?: string): OidcError {
    return new OidcError('forbidden', { status: 403, message: this.conf.forbidden_error_message, headers: { 'www-authenticate': this.challenge('insufficient_scope', description, scope) } });
  }

  /** 403 without a challenge (no consumer matches). */
  forbidden(): OidcError {
    return new OidcError('forbidden', { status: 403, message: this.conf.forbidden_error_message });
  }

  idpDown(): OidcError {
    return new OidcError('unexpected', { status: 502, message: 'The identity provider could not be reached' });
  }

  misconfigured(): OidcError {
    return new OidcError('unexpected', { status: 500, message: 'An unexpected error occurred' });
  }

  // ---- the IdP -----------------------------------------------------------------------------

  /** Discovery (lazily), checked against the enabled grants when verify_parameters is on. */
  async discover(): Promise<{ discovery: Discovery; keys: KeySet | null }> {
    const got = await this.idp.get();
    if (this.conf.verify_parameters) {
      const d = got.discovery;
      const m = this.conf.methods;
      const grants = d.grant_types_supported ?? ['authorization_code'];
      const bad =
        (m.has('client_credentials') && !grants.includes('client_credentials')) ||
        (m.has('authorization_code') && !grants.includes('authorization_code')) ||
        (m.has('authorization_code') && d.code_challenge_methods_supported !== undefined && !d.code_challenge_methods_supported.includes('S256'));
      if (bad) throw this.misconfigured();
    }
    return got;
  }

  async endpoint(which: 'token' | 'introspection' | 'authorization' | 'userinfo'): Promise<string> {
    const c = this.conf;
    const override = { token: c.token_endpoint, introspection: c.introspection_endpoint, authorization: c.authorization_endpoint, userinfo: c.userinfo_endpoint }[which];
    if (override !== null) return override;
    const { discovery } = await this.discover();
    const url = { token: discovery.token_endpoint, introspection: discovery.introspection_endpoint, authorization: discovery.authorization_endpoint, userinfo: discovery.userinfo_endpoint }[which];
    if (url === undefined) throw this.misconfigured();
    return url;
  }

  /** Client authentication of the gateway itself (client_auth / *_endpoint_auth_method). */
  clientAuth(form: Record<string, string>, headers: Record<string, string>, method: string): void {
    const { client_id: id, client_secret: secret } = this.conf;
    if (id === null) return;
    if (method === 'client_secret_post') {
      form.client_id = id;
      if (secret !== null) form.client_secret = secret;
    } else if (secret !== null) headers.authorization = basicAuth(id, secret);
    else form.client_id = id;
  }

  /** A token endpoint request; `client` overrides the gateway's client authentication. */
  async tokenRequest(form: Record<string, string>, client?: { id: string; secret: string; header?: string }): Promise<IdpAnswer> {
    const url = await this.endpoint('token');
    const headers: Record<string, string> = {};
    for (const [k, v] of this.conf.token_post_args) form[k] ??= v;
    if (client !== undefined) {
      if (this.conf.token_auth === 'client_secret_post') Object.assign(form, { client_id: client.id, client_secret: client.secret });
      else headers.authorization = client.header ?? basicAuth(client.id, client.secret);
    } else this.clientAuth(form, headers, this.conf.token_auth);
    try {
      return await this.http.postForm(url, form, headers);
    } catch {
      throw this.idpDown();
    }
  }

  /**
   * Verifies a JWT with the IdP's keys (an unknown kid re-fetches them once, rate-limited), then
   * its claims; verify_signature / verify_claims turn either part off, as Kong's fields do.
   */
  async verifyJwt(jwt: string, opts: { audience?: string; nonce?: string; what?: string } = {}): Promise<JWTPayload> {
    const c = this.conf;
    const what = opts.what ?? 'access token';
    let { discovery, keys } = await this.discover();
    const issuers = [discovery.issuer, ...c.issuers_allowed];
    let payload: JWTPayload;
    if (!c.verify_signature) {
      try {
        payload = jose().decodeJwt(jwt);
      } catch {
        throw this.unauthorized(`The ${what} is malformed`);
      }
      if (c.verify_claims) this.checkClaims(payload, issuers, opts.audience, what);
    } else {
      for (let attempt = 0; ; attempt++) {
        if (keys === null) throw this.unauthorized('The issuer publishes no signing keys');
        try {
          if (c.verify_claims) {
            ({ payload } = await jose().jwtVerify(jwt, keys, { issuer: issuers, algorithms: ALGORITHMS, clockTolerance: c.leeway, requiredClaims: ['exp'], audience: opts.audience }));
          } else {
            const r = await jose().compactVerify(jwt, keys, { algorithms: ALGORITHMS });
            payload = JSON.parse(Buffer.from(r.payload).toString('utf8')) as JWTPayload;
          }
          break;
        } catch (err) {
          if (err instanceof jose().errors.JWKSNoMatchingKey && attempt === 0) {
            if (await this.idp.refresh(c.rediscovery_lifetime * 1000).catch(() => false)) {
              ({ discovery, keys } = await this.discover());
              continue;
            }
          }
          throw this.unauthorized(describe(err, what));
        }
      }
    }
    if (c.verify_nonce && opts.nonce !== undefined && payload.nonce !== opts.nonce) throw this.unauthorized('The id token nonce does not match');
    return payload;
  }

  /** Claims checks for tokens whose signature is not verified (verify_signature: false). */
  private checkClaims(p: JWTPayload, issuers: string[], audience: string | undefined, what: string): void {
    const now = Date.now() / 1000;
    const leeway = this.conf.leeway;
    if (typeof p.iss !== 'string' || !issuers.includes(p.iss)) throw this.unauthorized(`The ${what} issuer is not accepted`);
    if (typeof p.exp !== 'number') throw this.unauthorized(`The ${what} exp claim is invalid`);
    if (p.exp + leeway <= now) throw this.unauthorized(`The ${what} expired`);
    if (typeof p.nbf === 'number' && p.nbf - leeway > now) throw this.unauthorized(`The ${what} is not yet valid`);
    if (audience !== undefined && !(Array.isArray(p.aud) ? p.aud : [p.aud]).includes(audience)) throw this.unauthorized('The token audience is not accepted');
  }

  /** `; Path=...; HttpOnly; SameSite=...; Max-Age=...` for a cookie of `c`. */
  cookieAttrs(c: CookieConf, maxAge: number): string {
    const secure = c.secure ?? this.secureByDefault;
    return (
      `; Path=${c.path}${c.domain !== null ? `; Domain=${c.domain}` : ''}${c.httpOnly ? '; HttpOnly' : ''}` +
      `${c.sameSite !== 'Default' ? `; SameSite=${c.sameSite}` : ''}; Max-Age=${Math.max(0, Math.floor(maxAge))}${secure === true || c.sameSite === 'None' ? '; Secure' : ''}`
    );
  }

  clearCookie(c: CookieConf): string {
    return `${c.name}=${this.cookieAttrs(c, 0)}`;
  }

  /** Cache lifetime (ms since epoch) of `ttl` seconds, clamped by cache_ttl_min / cache_ttl_max. */
  expiry(ttlSeconds: number, tokenExp?: unknown): number {
    let ttl = ttlSeconds;
    if (this.conf.cache_ttl_max !== null) ttl = Math.min(ttl, this.conf.cache_ttl_max);
    if (this.conf.cache_ttl_min !== null) ttl = Math.max(ttl, this.conf.cache_ttl_min);
    let exp = ttl > 0 ? Date.now() + ttl * 1000 : Number.MAX_SAFE_INTEGER;
    if (typeof tokenExp === 'number') exp = Math.min(exp, tokenExp * 1000);
    return exp;
  }
}

/** Kong's realm: the issuer's host name (`cognito-idp.us-west-1.amazonaws.com`). */
export function realmOf(issuer: string): string {
  try {
    return new URL(issuer).hostname;
  } catch {
    return 'sluice';
  }
}

/** An RFC 6750 error_description for a jose verification error (no token content in it). */
function describe(err: unknown, what: string): string {
  const e = jose().errors;
  if (err instanceof e.JWTExpired) return `The ${what} expired`;
  if (err instanceof e.JWSSignatureVerificationFailed) return `The ${what} signature is invalid`;
  if (err instanceof e.JWKSNoMatchingKey) return `The ${what} was signed by an unknown key`;
  if (err instanceof e.JOSEAlgNotAllowed) return `The ${what} algorithm is not allowed`;
  if (err instanceof e.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return `The ${what} is not yet valid`;
    if (err.claim === 'iss') return `The ${what} issuer is not accepted`;
    if (err.claim === 'aud') return 'The token audience is not accepted';
    return `The ${what} ${err.claim} claim is invalid`;
  }
  if (err instanceof e.JWTInvalid || err instanceof e.JWSInvalid) return `The ${what} is malformed`;
  return `The ${what} is invalid`;
}
