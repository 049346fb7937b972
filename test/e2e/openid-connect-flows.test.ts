import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, tempDir, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

/**
 * The openid-connect flows and fields oidc-provider cannot exercise (it has no password grant),
 * against a small IdP written here: password, refresh_token and userinfo auth methods; id tokens
 * sent by the client; verify_signature / verify_claims; where tokens are read from (cookie, body,
 * query with hide_credentials); *_redirect_uri; upstream and downstream headers.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const CLIENT = { id: 'gateway', secret: 'gateway-secret' };
let issuer: string;
let idp: http.Server;
/** The same IdP over TLS with a self-signed certificate (ssl_verify). */
let tlsIssuer: string;
let tlsIdp: https.Server;
let key: KeyLike;
let strangerKey: KeyLike;
let up: Upstream;
const tokenForms: URLSearchParams[] = [];
let gw: GatewayProcess;

const now = () => Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>, k: KeyLike = key) =>
  new SignJWT({ iss: issuer, iat: now(), exp: now() + 300, ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(k);
const basic = (id: string, secret: string) => 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64');

async function startIdp(): Promise<void> {
  const pair = await generateKeyPair('RS256', { extractable: true });
  key = pair.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const handler = (me: () => string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const issuer = me();
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c));
    req.on('end', () => {
      void (async () => {
        const path = new URL(req.url!, issuer).pathname;
        if (path === '/.well-known/openid-configuration') {
          return send(200, { issuer, token_endpoint: `${issuer}/token`, userinfo_endpoint: `${issuer}/userinfo`, jwks_uri: `${issuer}/jwks`, authorization_endpoint: `${issuer}/auth` });
        }
        if (path === '/jwks') return send(200, { keys: [jwk] });
        if (path === '/userinfo') {
          const auth = req.headers.authorization ?? '';
          if (auth === 'Bearer opaque-good') return send(200, { sub: 'bob', email: 'bob@example.com', groups: ['staff'] });
          return send(401, { error: 'invalid_token' });
        }
        if (path === '/token') {
          if (req.headers.authorization !== basic(CLIENT.id, CLIENT.secret)) return send(401, { error: 'invalid_client' });
          const form = new URLSearchParams(raw);
          tokenForms.push(form);
          const tokens = async (sub: string) => ({
            access_token: await sign({ sub, scope: 'read', aud: 'api' }),
            id_token: await sign({ sub, aud: CLIENT.id }),
            refresh_token: `rt-${sub}`,
            token_type: 'Bearer',
            expires_in: 300,
          });
          if (form.get('grant_type') === 'password' && form.get('username') === 'alice' && form.get('password') === 'alice-pw') {
            return send(200, await tokens('alice'));
          }
          if (form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === 'rt-alice') return send(200, await tokens('alice'));
          return send(400, { error: 'invalid_grant' });
        }
        send(404, {});
      })();
    });
  };
  idp = http.createServer(handler(() => issuer));
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  const dir = tempDir('sluice-oidc-tls-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-subj', '/CN=idp', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  tlsIdp = https.createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, handler(() => tlsIssuer));
  await new Promise<void>((r) => tlsIdp.listen(0, '127.0.0.1', r));
  tlsIssuer = `https://127.0.0.1:${(tlsIdp.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  await startIdp();
  up = await startUpstream();
  const route = (name: string, extra: string) => `
      - name: ${name}
        paths: [/${name}]
        plugins:
          - name: openid-connect
            config:
              issuer: ${issuer}
              client_id: [${CLIENT.id}]
              client_secret: [${CLIENT.secret}]
              display_errors: true
${extra
  .trim()
  .split('\n')
  .map((l) => '              ' + l.trim())
  .join('\n')}`;
  gw = await startGateway(`
_format_version: "3.0"
services:
  - name: api
    url: ${up.url}
    routes:${route('password', `
      auth_methods: [password, client_credentials]
      scopes: [openid]
      token_post_args_names: [audience]
      token_post_args_values: [https://api.example.com]
      upstream_id_token_header: x-id-token
      upstream_refresh_token_header: x-refresh-token`)}${route('refresh', `
      auth_methods: [refresh_token]
      refresh_token_param_name: x-refresh
      upstream_headers_claims: [sub]
      upstream_headers_names: [x-sub]`)}${route('userinfo', `
      auth_methods: [userinfo]
      upstream_user_info_header: x-userinfo
      downstream_headers_claims: [email]
      downstream_headers_names: [x-email]`)}${route('idtoken', `
      auth_methods: [bearer]
      id_token_param_name: x-id-token
      upstream_id_token_header: x-forwarded-id-token`)}${route('unverified', `
      auth_methods: [bearer]
      verify_signature: false`)}${route('noclaims', `
      auth_methods: [bearer]
      verify_claims: false`)}${route('cookie', `
      auth_methods: [bearer]
      bearer_token_param_type: [cookie]
      bearer_token_cookie_name: tok`)}${route('body', `
      auth_methods: [bearer]
      bearer_token_param_type: [body]`)}${route('query', `
      auth_methods: [bearer]
      bearer_token_param_type: [query]
      hide_credentials: true`)}${route('redirects', `
      auth_methods: [bearer]
      scopes_required: [admin]
      unauthorized_redirect_uri: [https://login.example.com/]
      forbidden_redirect_uri: [https://example.com/forbidden]`)}${route('ssl-verify', `
      auth_methods: [bearer]`).replace(issuer, tlsIssuer)}${route('ssl-noverify', `
      auth_methods: [bearer]
      ssl_verify: false`).replace(issuer, tlsIssuer)}
`);
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
  idp?.closeAllConnections();
  await new Promise((r) => idp?.close(r));
  tlsIdp?.closeAllConnections();
  await new Promise((r) => tlsIdp?.close(r));
});

async function call(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const r = await fetch(gw.url + path, { method: init.method ?? 'GET', headers: init.headers, body: init.body, redirect: 'manual' });
  const text = await r.text();
  let json: Json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, headers: r.headers, json };
}

describe('openid-connect flows', () => {
  it('password: the user\'s Basic credentials exchanged with the gateway\'s client; token_post_args sent; tokens upstream', async () => {
    const r = await call('/password', { headers: { authorization: basic('alice', 'alice-pw') } });
    expect(r.status).toBe(200);
    expect(r.json.headers.authorization).toMatch(/^Bearer ey/);
    expect(r.json.headers['x-id-token']).toMatch(/^ey/);
    expect(r.json.headers['x-refresh-token']).toBe('rt-alice');
    const form = tokenForms.find((f) => f.get('grant_type') === 'password')!;
    expect(form.get('audience')).toBe('https://api.example.com');
    expect(form.get('scope')).toBe('openid');
    const bad = await call('/password', { headers: { authorization: basic('alice', 'wrong') } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refresh_token: a refresh token sent in the named header is exchanged', async () => {
    const r = await call('/refresh', { headers: { 'x-refresh': 'rt-alice' } });
    expect(r.status).toBe(200);
    expect(r.json.headers['x-sub']).toBe('alice');
    expect((await call('/refresh', { headers: { 'x-refresh': 'rt-nobody' } })).status).toBe(401);
  });

  it('userinfo: an opaque token is valid when the user info endpoint accepts it; user info upstream, claims downstream', async () => {
    const r = await call('/userinfo', { headers: { authorization: 'Bearer opaque-good' } });
    expect(r.status).toBe(200);
    expect(JSON.parse(Buffer.from(r.json.headers['x-userinfo'], 'base64').toString())).toMatchObject({ sub: 'bob', email: 'bob@example.com' });
    expect(r.headers.get('x-email')).toBe('bob@example.com');
    expect((await call('/userinfo', { headers: { authorization: 'Bearer opaque-bad' } })).status).toBe(401);
  });

  it('id_token_param_name: the client\'s id token is verified for this client and passed upstream', async () => {
    const at = await sign({ sub: 'carol', aud: 'api' });
    const idt = await sign({ sub: 'carol', aud: CLIENT.id });
    const r = await call('/idtoken', { headers: { authorization: `Bearer ${at}`, 'x-id-token': idt } });
    expect(r.status).toBe(200);
    expect(r.json.headers['x-forwarded-id-token']).toBe(idt);
    const wrongAud = await sign({ sub: 'carol', aud: 'someone-else' });
    expect((await call('/idtoken', { headers: { authorization: `Bearer ${at}`, 'x-id-token': wrongAud } })).status).toBe(401);
  });

  it('verify_signature: false accepts a token signed by another key; verify_claims: false an expired one', async () => {
    const foreign = await sign({ sub: 'x' }, strangerKey);
    expect((await call('/unverified', { headers: { authorization: `Bearer ${foreign}` } })).status).toBe(200);
    expect((await call('/noclaims', { headers: { authorization: `Bearer ${foreign}` } })).status).toBe(401);
    const expired = await sign({ sub: 'x', exp: now() - 3600 });
    expect((await call('/noclaims', { headers: { authorization: `Bearer ${expired}` } })).status).toBe(200);
    expect((await call('/unverified', { headers: { authorization: `Bearer ${expired}` } })).status).toBe(401);
  });

  it('bearer_token_param_type: cookie, body (form and JSON), query (removed upstream by hide_credentials)', async () => {
    const t = await sign({ sub: 'dave' });
    expect((await call('/cookie', { headers: { cookie: `a=1; tok=${t}` } })).status).toBe(200);
    expect((await call('/cookie', { headers: { authorization: `Bearer ${t}` } })).status).toBe(401);
    const form = await call('/body', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${t}&x=1` });
    expect(form.status).toBe(200);
    expect(form.json.body).toBe(`access_token=${t}&x=1`);
    expect((await call('/body', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: t }) })).status).toBe(200);
    const q = await call(`/query?a=1&access_token=${t}`);
    expect(q.status).toBe(200);
    expect(q.json.url).toBe('/?a=1'); // strip_path took /query
  });

  it('unauthorized_redirect_uri and forbidden_redirect_uri redirect instead of answering', async () => {
    const u = await call('/redirects');
    expect(u.status).toBe(302);
    expect(u.headers.get('location')).toBe('https://login.example.com/');
    const f = await call('/redirects', { headers: { authorization: `Bearer ${await sign({ sub: 'eve', scope: 'read' })}` } });
    expect(f.status).toBe(302);
    expect(f.headers.get('location')).toBe('https://example.com/forbidden');
  });

  it('ssl_verify: an IdP with a self-signed certificate is refused by default (502), reached with ssl_verify: false', async () => {
    const t = await new SignJWT({ iss: tlsIssuer, sub: 'tls', iat: now(), exp: now() + 300 }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key);
    expect((await call('/ssl-verify', { headers: { authorization: `Bearer ${t}` } })).status).toBe(502);
    expect((await call('/ssl-noverify', { headers: { authorization: `Bearer ${t}` } })).status).toBe(200);
  });
});
