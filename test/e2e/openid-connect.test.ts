import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';
import { API, Browser, GATEWAY_CLIENT, MACHINE_CLIENT, newKey, OPAQUE, startIdp, STRANGER_CLIENT, type Idp } from '../helpers/oidc.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let idpPort: number;
let idp: Idp;
let up: Upstream;
let gw: GatewayProcess;
const basic = (c: { id: string; secret: string }) => 'Basic ' + Buffer.from(`${c.id}:${c.secret}`).toString('base64');
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  idpPort = await freePort();
  const issuer = `http://127.0.0.1:${idpPort}`;
  up = await startUpstream();
  // The IdP is not running yet: the gateway must start anyway (discovery is lazy).
  const oidc = (extra: string) => `
          - name: openid-connect
            config:
              issuer: ${issuer}
              client_id: [${GATEWAY_CLIENT.id}]
              client_secret: [${GATEWAY_CLIENT.secret}]
              display_errors: true
              ${extra}`;
  gw = await startGateway(`
_format_version: "3.0"
services:
  - name: api
    url: ${up.url}
    routes:
      - name: bearer
        paths: [/bearer]
        plugins:${oidc(`auth_methods: [bearer]
              audience_required: ["${API}"]
              scopes_required: [read]
              consumer_claim: [sub]
              upstream_headers_claims: [sub, scope]
              upstream_headers_names: [x-sub, x-scope]`)}
      - name: write
        paths: [/write]
        plugins:${oidc(`auth_methods: [bearer]
              scopes_required: ["read write", admin]`)}
      - name: leeway
        paths: [/leeway]
        plugins:${oidc(`auth_methods: [bearer]
              leeway: 120`)}
      - name: rotate
        paths: [/rotate]
        plugins:${oidc(`auth_methods: [bearer]
              rediscovery_lifetime: 0`)}
      - name: cc
        paths: [/cc]
        plugins:${oidc(`auth_methods: [client_credentials]
              scopes: [read]
              upstream_headers_claims: [client_id]
              upstream_headers_names: [x-client]`)}
      - name: introspect
        paths: [/introspect]
        plugins:${oidc(`auth_methods: [introspection]
              scopes_required: [read]`)}
      - name: app
        paths: [/app]
        plugins:${oidc(`auth_methods: [authorization_code, session]
              scopes: [openid, offline_access, read]
              consumer_claim: [sub]
              session_secret: "an-encryption-secret-for-sessions"
              logout_uri_suffix: /logout
              logout_methods: [POST]
              logout_redirect_uri: /bye
              preserve_query_args: true`)}
      - name: idle
        paths: [/idle]
        plugins:${oidc(`auth_methods: [authorization_code, session]
              scopes: [openid]
              session_secret: "an-encryption-secret-for-sessions"
              session_idling_timeout: 1`)}
consumers:
  - username: ${MACHINE_CLIENT.id}
  - username: alice
`);
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
  await idp?.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { headers, redirect: 'manual' });

describe('openid-connect', () => {
  it('starts while the IdP is down and answers 502 until it is up (discovery is lazy)', async () => {
    const r = await get('/bearer', { authorization: 'Bearer a.b.c' });
    expect(r.status).toBe(502);
    expect(await r.json()).toMatchObject({ message: 'The identity provider could not be reached' });
    idp = await startIdp(idpPort, { redirectUris: [`${gw.url}/app/page`, `${gw.url}/idle/page`], key: await newKey('key-1') });
  });

  it('401 with a Bearer challenge without a token', async () => {
    const r = await get('/bearer');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="127.0.0.1"');
  });

  it('bearer: a JWT access token from the provider passes; consumer by claim, claims to upstream headers; discovery and JWKS fetched once', async () => {
    const { access_token } = await idp.clientCredentials(MACHINE_CLIENT, { scope: 'read' });
    const r = await get('/bearer/x', { authorization: `Bearer ${access_token}` });
    expect(r.status).toBe(200);
    const seen: Json = await r.json();
    expect(seen.headers['x-consumer-username']).toBe(MACHINE_CLIENT.id);
    expect(seen.headers['x-sub']).toBe(MACHINE_CLIENT.id);
    expect(seen.headers['x-scope']).toBe('read');
    expect(seen.headers.authorization).toBe(`Bearer ${access_token}`);
    for (let i = 0; i < 3; i++) expect((await get('/bearer', { authorization: `Bearer ${access_token}` })).status).toBe(200);
    expect(idp.hits.get('/.well-known/openid-configuration')).toBe(1);
    expect(idp.hits.get('/jwks')).toBe(1);
  });

  it('bearer: a token whose subject is no consumer → 403', async () => {
    const { access_token } = await idp.clientCredentials(STRANGER_CLIENT, { scope: 'read' });
    expect((await get('/bearer', { authorization: `Bearer ${access_token}` })).status).toBe(403);
  });

  it('bearer: wrong audience → 401 invalid_token', async () => {
    const token = await idp.sign({ iss: idp.issuer, sub: MACHINE_CLIENT.id, aud: 'https://other.test', scope: 'read', exp: now() + 300 });
    const r = await get('/bearer', { authorization: `Bearer ${token}` });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="127.0.0.1", error="invalid_token", error_description="The access token audience is not accepted"');
  });

  it('bearer: missing scope → 403 insufficient_scope; scopes_required is OR of AND-sets; scp is accepted', async () => {
    const { access_token } = await idp.clientCredentials(MACHINE_CLIENT, { scope: 'read' });
    const r = await get('/write', { authorization: `Bearer ${access_token}` });
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="127.0.0.1", error="insufficient_scope", error_description="The access token does not have the required scopes", scope="read write admin"');
    const both = await idp.clientCredentials(MACHINE_CLIENT, { scope: 'read write' });
    expect((await get('/write', { authorization: `Bearer ${both.access_token}` })).status).toBe(200);
    const admin = await idp.sign({ iss: idp.issuer, sub: 'x', scp: ['admin'], exp: now() + 300 });
    expect((await get('/write', { authorization: `Bearer ${admin}` })).status).toBe(200);
  });

  it('bearer: expired beyond the leeway → 401 "expired"; within the leeway passes', async () => {
    const token = await idp.sign({ iss: idp.issuer, sub: 'x', exp: now() - 60 });
    const strict = await get('/write', { authorization: `Bearer ${token}` });
    expect(strict.status).toBe(401);
    expect(strict.headers.get('www-authenticate')).toBe('Bearer realm="127.0.0.1", error="invalid_token", error_description="The access token expired"');
    expect((await get('/leeway', { authorization: `Bearer ${token}` })).status).toBe(200);
    const notYet = await idp.sign({ iss: idp.issuer, sub: 'x', nbf: now() + 60, exp: now() + 600 });
    expect((await get('/leeway', { authorization: `Bearer ${notYet}` })).status).toBe(200);
    expect((await get('/write', { authorization: `Bearer ${notYet}` })).status).toBe(401);
  });

  it('bearer: tampered payload, wrong issuer, alg none, HMAC and unknown-key tokens → 401', async () => {
    const { access_token } = await idp.clientCredentials(MACHINE_CLIENT, { scope: 'read' });
    const [h, p, s] = access_token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'alice' })).toString('base64url');
    const tampered = await get('/leeway', { authorization: `Bearer ${h}.${forged}.${s}` });
    expect(tampered.status).toBe(401);
    expect(tampered.headers.get('www-authenticate')).toContain('error_description="The access token signature is invalid"');
    const wrongIss = await idp.sign({ iss: 'http://evil.example', sub: 'x', exp: now() + 60 });
    expect((await get('/leeway', { authorization: `Bearer ${wrongIss}` })).headers.get('www-authenticate')).toContain('issuer is not accepted');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'key-1' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: idp.issuer, sub: 'x', exp: now() + 60 })).toString('base64url')}.`;
    expect((await get('/leeway', { authorization: `Bearer ${none}` })).status).toBe(401);
    const hs = await idp.sign({ iss: idp.issuer, sub: 'x', exp: now() + 60 }, { alg: 'HS256', key: new TextEncoder().encode(GATEWAY_CLIENT.secret) });
    expect((await get('/leeway', { authorization: `Bearer ${hs}` })).status).toBe(401);
    // Unknown kid: one rate-limited JWKS refresh at most (rediscovery_lifetime 30 s on this route).
    const jwksBefore = idp.hits.get('/jwks') ?? 0;
    const { privateKey } = await generateKeyPair('RS256');
    const stranger = await idp.sign({ iss: idp.issuer, sub: 'x', exp: now() + 60 }, { kid: 'unknown-kid', key: privateKey });
    for (let i = 0; i < 3; i++) {
      const r = await get('/leeway', { authorization: `Bearer ${stranger}` });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toContain('signed by an unknown key');
    }
    expect((idp.hits.get('/jwks') ?? 0) - jwksBefore).toBeLessThanOrEqual(1);
  });

  it('JWKS rotation: the provider restarts with a new key; its tokens verify after a refresh on the unknown kid', async () => {
    await idp.close();
    idp = await startIdp(idpPort, { redirectUris: [`${gw.url}/app/page`, `${gw.url}/idle/page`], key: await newKey('key-2') });
    const { access_token } = await idp.clientCredentials(MACHINE_CLIENT, { scope: 'read' });
    expect(JSON.parse(Buffer.from(access_token.split('.')[0]!, 'base64url').toString()).kid).toBe('key-2');
    const r = await get('/rotate', { authorization: `Bearer ${access_token}` });
    expect(r.status).toBe(200);
    expect(idp.hits.get('/jwks')).toBe(1);
    // The refreshed key set serves every route of that issuer, with no further fetch.
    expect((await get('/bearer', { authorization: `Bearer ${access_token}` })).status).toBe(200);
    expect(idp.hits.get('/jwks')).toBe(1);
  });

  it('client_credentials: Basic client credentials exchanged for a token, cached until shortly before expiry', async () => {
    const before = idp.hits.get('/token') ?? 0;
    const seen: Json = await (await get('/cc/a', { authorization: basic(MACHINE_CLIENT) })).json();
    expect(seen.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(seen.headers.authorization.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ client_id: MACHINE_CLIENT.id, aud: API, scope: 'read' });
    expect(seen.headers['x-client']).toBe(MACHINE_CLIENT.id);
    for (let i = 0; i < 3; i++) {
      const again: Json = await (await get('/cc/b', { authorization: basic(MACHINE_CLIENT) })).json();
      expect(again.headers.authorization).toBe(seen.headers.authorization);
    }
    expect(idp.hits.get('/token')).toBe(before + 1);
    // Another client is another cache entry; a wrong secret is a 401.
    await get('/cc', { authorization: basic(STRANGER_CLIENT) });
    expect(idp.hits.get('/token')).toBe(before + 2);
    const bad = await get('/cc', { authorization: basic({ id: MACHINE_CLIENT.id, secret: 'wrong' }) });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('introspection: an opaque token is introspected (active / inactive), results cached', async () => {
    const { access_token } = await idp.clientCredentials(MACHINE_CLIENT, { resource: OPAQUE, scope: 'read' });
    const before = idp.hits.get('/token/introspection') ?? 0;
    for (let i = 0; i < 3; i++) expect((await get('/introspect', { authorization: `Bearer ${access_token}` })).status).toBe(200);
    expect(idp.hits.get('/token/introspection')).toBe(before + 1);
    const noRead = await idp.clientCredentials(MACHINE_CLIENT, { resource: OPAQUE, scope: 'write' });
    expect((await get('/introspect', { authorization: `Bearer ${noRead.access_token}` })).status).toBe(403);
    const inactive = await get('/introspect', { authorization: 'Bearer opaque-garbage' });
    expect(inactive.status).toBe(401);
    expect(inactive.headers.get('www-authenticate')).toBe('Bearer realm="127.0.0.1", error="invalid_token", error_description="The access token is not active"');
    await get('/introspect', { authorization: 'Bearer opaque-garbage' });
    expect(idp.hits.get('/token/introspection')).toBe(before + 3);
  });

  it('authorization_code: redirect with PKCE, login at the IdP, callback, session cookie, original URL; logout', async () => {
    const browser = new Browser();
    const first = await browser.request(`${gw.url}/app/page?x=1`);
    expect(first.status).toBe(302);
    const to = new URL(first.headers.get('location')!);
    expect(to.origin + to.pathname).toBe(`${idp.issuer}/auth`);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(to.searchParams.get('redirect_uri')).toBe(`${gw.url}/app/page`);
    expect(to.searchParams.get('state')).toBeTruthy();
    expect(to.searchParams.get('nonce')).toBeTruthy();
    const authCookie = browser.setCookies.find((c) => c.startsWith('authorization='))!;
    expect(authCookie).toMatch(/HttpOnly/);
    expect(authCookie).toMatch(/SameSite=Lax/);
    const { hops, res } = await browser.follow(to.toString());
    expect(hops[hops.length - 1]).toBe(`${gw.url}/app/page?x=1`);
    expect(res.status).toBe(200);
    const seen: Json = await res.json();
    expect(seen.url).toBe('/page?x=1');
    expect(seen.headers['x-consumer-username']).toBe('alice');
    expect(seen.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const session = browser.jar.get(gw.url)!.get('session')!;
    expect(session).toBeTruthy();
    expect(browser.jar.get(gw.url)!.has('authorization')).toBe(false);
    // Later requests with the session cookie pass without the IdP.
    const tokenHits = idp.hits.get('/token') ?? 0;
    const later = await browser.request(`${gw.url}/app/other`);
    expect(later.status).toBe(200);
    expect(idp.hits.get('/token') ?? 0).toBe(tokenHits);
    // A tampered session cookie is not a session: back to the IdP.
    const forged = session.slice(0, -4) + (session.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await get('/app/other', { cookie: `session=${forged}` })).status).toBe(302);
    // A callback with a state that does not match the authorization cookie is refused.
    const b2 = new Browser();
    await b2.request(`${gw.url}/app/page`);
    const wrongState = await b2.request(`${gw.url}/app/page?code=abc&state=not-the-state`);
    expect(wrongState.status).toBe(401);
    // Logout clears the session.
    const out = await browser.request(`${gw.url}/app/logout`, { method: 'POST' });
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe('/bye');
    expect(browser.jar.get(gw.url)!.has('session')).toBe(false);
    expect((await browser.request(`${gw.url}/app/other`)).status).toBe(302);
  });

  it('session: an expired access token is refreshed with the refresh token (new session cookie)', async () => {
    const key = idp.privateJwk;
    await idp.close();
    idp = await startIdp(idpPort, { redirectUris: [`${gw.url}/app/page`, `${gw.url}/idle/page`], key, accessTokenTTL: 1 });
    const browser = new Browser();
    const { res } = await browser.follow(`${gw.url}/app/page`);
    expect(res.status).toBe(200);
    const first: Json = await res.json();
    const s1 = browser.jar.get(gw.url)!.get('session');
    // The access token lives 1 s (exp has 1 s granularity): wait until it has certainly expired.
    await new Promise((r) => setTimeout(r, 2100));
    const before = idp.hits.get('/token') ?? 0;
    const again = await browser.request(`${gw.url}/app/again`);
    expect(again.status).toBe(200);
    const seen: Json = await again.json();
    expect(idp.hits.get('/token')).toBe(before + 1);
    expect(seen.headers.authorization).not.toBe(first.headers.authorization);
    expect(seen.headers['x-consumer-username']).toBe('alice');
    expect(browser.jar.get(gw.url)!.get('session')).not.toBe(s1);
  });

  it('session_idling_timeout: a session unused for longer is over (back to the IdP); used in time, it lives on', async () => {
    const browser = new Browser();
    const { res } = await browser.follow(`${gw.url}/idle/page`);
    expect(res.status).toBe(200);
    // Used within the idle time: still a session.
    expect((await browser.request(`${gw.url}/idle/page`)).status).toBe(200);
    // Idle for longer than 1 s (timestamps have 1 s granularity: wait 2.1 s): the session is over.
    await new Promise((r) => setTimeout(r, 2100));
    const after = await browser.request(`${gw.url}/idle/page`);
    expect(after.status).toBe(302);
    expect(after.headers.get('location')).toContain(`${idp.issuer}/auth`);
  });

  it('never logs a token, secret or cookie value', () => {
    const text = gw.lines.join('\n');
    expect(text).not.toContain(GATEWAY_CLIENT.secret);
    expect(text).not.toContain(MACHINE_CLIENT.secret);
    expect(text).not.toContain('eyJ');
    expect(text).not.toContain('an-encryption-secret');
    expect(text).not.toMatch(/[?&]code=/);
    expect(text).not.toContain('session=');
  });
});
