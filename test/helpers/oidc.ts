/**
 * A real OpenID Provider (oidc-provider v8) on 127.0.0.1 for the openid-connect and
 * oauth2-introspection tests: discovery, JWKS, client_credentials, authorization_code (with an
 * interaction that logs `alice` in at once), refresh tokens and RFC 7662 introspection. JWT access
 * tokens for the resource https://api.test (opaque ones for urn:opaque). Counts hits per path.
 */
import http from 'node:http';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import Provider from 'oidc-provider';

export const API = 'https://api.test';
export const OPAQUE = 'urn:opaque';
export const GATEWAY_CLIENT = { id: 'gateway', secret: 'gateway-client-secret-0123456789' };
export const MACHINE_CLIENT = { id: 'machine', secret: 'machine-client-secret-0123456789' };
export const STRANGER_CLIENT = { id: 'stranger', secret: 'stranger-client-secret-012345678' };

export interface Idp {
  issuer: string;
  port: number;
  /** Requests per path (e.g. '/token', '/jwks'). */
  hits: Map<string, number>;
  privateJwk: JWK & { kid: string };
  close(): Promise<void>;
  /** A token signed with the provider's current key (for claims a real flow cannot produce). */
  sign(claims: Record<string, unknown>, opts?: { kid?: string; key?: KeyLike | Uint8Array; alg?: string }): Promise<string>;
  clientCredentials(client: { id: string; secret: string }, params?: Record<string, string>): Promise<{ access_token: string; expires_in: number; [k: string]: unknown }>;
}

export async function newKey(kid: string): Promise<JWK & { kid: string }> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

export async function startIdp(port: number, opts: { redirectUris: string[]; key: JWK & { kid: string }; accessTokenTTL?: number }): Promise<Idp> {
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: GATEWAY_CLIENT.id,
        client_secret: GATEWAY_CLIENT.secret,
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        response_types: ['code'],
        redirect_uris: opts.redirectUris,
        scope: 'openid offline_access profile read write',
      },
      { client_id: MACHINE_CLIENT.id, client_secret: MACHINE_CLIENT.secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'read write' },
      { client_id: STRANGER_CLIENT.id, client_secret: STRANGER_CLIENT.secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'read write' },
    ],
    jwks: { keys: [opts.key] },
    scopes: ['openid', 'offline_access', 'profile', 'read', 'write'],
    claims: { openid: ['sub'], profile: ['preferred_username'] },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub, preferred_username: sub }) }),
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => API,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => {
          if (resource === OPAQUE) return { scope: 'read write', accessTokenFormat: 'opaque', accessTokenTTL: opts.accessTokenTTL ?? 300 };
          if (resource === API) return { scope: 'read write', audience: API, accessTokenFormat: 'jwt', accessTokenTTL: opts.accessTokenTTL ?? 300, jwt: { sign: { alg: 'RS256' } } };
          throw new Error('unknown resource');
        },
      },
    },
    pkce: { required: () => true },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    ttl: { ClientCredentials: opts.accessTokenTTL ?? 300, AccessToken: opts.accessTokenTTL ?? 300 },
  });
  provider.on('server_error', (_ctx: unknown, err: Error) => console.error('oidc-provider server_error', err));
  const callback = provider.callback();
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url!, issuer).pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path.startsWith('/interaction/')) {
      void (async () => {
        try {
          const details = await provider.interactionDetails(req, res);
          let result: Record<string, unknown>;
          if (details.prompt.name === 'login') {
            result = { login: { accountId: 'alice' } };
          } else {
            const grant = details.grantId
              ? (await provider.Grant.find(details.grantId))!
              : new provider.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string });
            const d = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
            if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
            if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
            if (d.missingResourceScopes) for (const [ind, scopes] of Object.entries(d.missingResourceScopes)) grant.addResourceScope(ind, scopes.join(' '));
            result = { consent: { grantId: await grant.save() } };
          }
          await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
        } catch (err) {
          res.statusCode = 500;
          res.end(String(err));
        }
      })();
      return;
    }
    callback(req, res);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const key = await importPrivate(opts.key);
  return {
    issuer,
    port,
    hits,
    privateJwk: opts.key,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
    async sign(claims, o = {}) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: o.alg ?? 'RS256', kid: o.kid ?? opts.key.kid, typ: 'at+jwt' })
        .sign(o.key ?? key);
    },
    async clientCredentials(client, params = {}) {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + Buffer.from(`${client.id}:${client.secret}`).toString('base64') },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...params }).toString(),
      });
      const json = (await res.json()) as { access_token: string; expires_in: number };
      if (res.status !== 200) throw new Error(`token endpoint: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
  };
}

async function importPrivate(jwk: JWK): Promise<KeyLike> {
  return (await importJWK(jwk, 'RS256')) as KeyLike;
}

/** A browser-less client: follows redirects by hand, keeps cookies per origin. */
export class Browser {
  readonly jar = new Map<string, Map<string, string>>();
  /** Every Set-Cookie seen, to check cookie attributes. */
  readonly setCookies: string[] = [];

  async request(url: string, init: { method?: string } = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const jar = this.jar.get(origin);
    const headers: Record<string, string> = { accept: 'text/html' };
    if (jar && jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { method: init.method ?? 'GET', headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      this.setCookies.push(c);
      const [pair, ...attrs] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      const m = this.jar.get(origin) ?? new Map<string, string>();
      if (expired || value === '') m.delete(name);
      else m.set(name, value);
      this.jar.set(origin, m);
    }
    return res;
  }

  /** Follows redirects from `url`; returns every hop and the final response. */
  async follow(url: string, max = 15): Promise<{ hops: string[]; res: Response }> {
    const hops: string[] = [url];
    let res = await this.request(url);
    while (res.status >= 300 && res.status < 400 && res.headers.get('location') && hops.length < max) {
      await res.arrayBuffer();
      const next = new URL(res.headers.get('location')!, hops[hops.length - 1]).toString();
      hops.push(next);
      res = await this.request(next);
    }
    return { hops, res };
  }
}
