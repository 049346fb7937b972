/**
 * openid-connect through the plugin harness: the bearer flow against a small issuer on 127.0.0.1
 * (discovery and JWKS only), with access tokens signed here by jose. The browser flows
 * (authorization code, sessions) need a real provider: test/e2e/openid-connect*.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlugin, type FakeRequest } from '../harness.js';
import { openidConnect } from './index.js';

let server: Server;
let issuer = '';
let key: KeyLike;
let hits = 0;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  key = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = createServer((req, res) => {
    hits++;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token` }));
    else if (req.url === '/jwks') res.end(JSON.stringify({ keys: [jwk] }));
    else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const now = (): number => Math.floor(Date.now() / 1000);
async function token(claims: Record<string, unknown>, signer: KeyLike = key): Promise<string> {
  return new SignJWT({ iss: issuer, exp: now() + 600, ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(signer);
}
const bearer = async (claims: Record<string, unknown>, extra: Partial<FakeRequest> = {}): Promise<FakeRequest> => ({
  ...extra,
  headers: { authorization: `Bearer ${await token(claims)}`, ...extra.headers },
});
const conf = (extra: Record<string, unknown> = {}) => ({ issuer, auth_methods: ['bearer'], ...extra });
const consumers = [{ id: 'c-alice', username: 'alice', custom_id: 'sub-alice' }];

describe('openid-connect (harness)', () => {
  it('accepts a JWT signed by the issuer key: claims go upstream, the consumer is mapped from a claim', async () => {
    const r = await runPlugin(
      openidConnect,
      conf({ consumer_claim: ['sub'], upstream_headers_claims: ['email'], upstream_headers_names: ['x-email'], authenticated_groups_claim: ['groups'] }),
      await bearer({ sub: 'sub-alice', email: 'a@example.com', groups: ['dev', 'ops'] }, { consumers }),
    );
    expect(r.answered).toBeNull();
    expect(r.consumer?.id).toBe('c-alice');
    expect(r.upstream.headers['x-email']).toBe('a@example.com');
    expect(r.authenticatedGroups).toEqual(['dev', 'ops']);
    expect(r.upstream.headers.authorization).toMatch(/^Bearer ey/);
  });

  it('answers 401 with a Bearer challenge and no error code when no credential is given', async () => {
    const r = await runPlugin(openidConnect, conf(), {});
    expect(r.response.status).toBe(401);
    expect(JSON.parse(r.response.body.toString()).message).toBe('Unauthorized');
    expect(r.response.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]*"$/);
  });

  it('refuses a token signed by another key, an expired token and one from another issuer with invalid_token', async () => {
    const other = (await generateKeyPair('RS256')).privateKey;
    const bad = [
      await new SignJWT({ iss: issuer, exp: now() + 600 }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(other),
      await token({ exp: now() - 3600 }),
      await token({ iss: 'https://elsewhere.example' }),
    ];
    for (const t of bad) {
      const r = await runPlugin(openidConnect, conf(), { headers: { authorization: `Bearer ${t}` } });
      expect(r.response.status).toBe(401);
      expect(r.response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      expect(r.consumer).toBeNull();
    }
  });

  it('scopes_required: a token without the scope is 403 insufficient_scope', async () => {
    const ok = await runPlugin(openidConnect, conf({ scopes_required: ['read'] }), await bearer({ scope: 'read write' }));
    expect(ok.answered).toBeNull();
    const r = await runPlugin(openidConnect, conf({ scopes_required: ['admin'] }), await bearer({ scope: 'read write' }));
    expect(r.response.status).toBe(403);
    expect(r.response.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
  });

  it('consumer_claim without a matching consumer is 403 unless consumer_optional', async () => {
    const strict = await runPlugin(openidConnect, conf({ consumer_claim: ['sub'] }), await bearer({ sub: 'nobody' }, { consumers }));
    expect(strict.response.status).toBe(403);
    const optional = await runPlugin(openidConnect, conf({ consumer_claim: ['sub'], consumer_optional: true }), await bearer({ sub: 'nobody' }, { consumers }));
    expect(optional.answered).toBeNull();
    expect(optional.consumer).toBeNull();
  });

  it('hide_credentials keeps the token from the upstream (when no upstream token header is set)', async () => {
    const r = await runPlugin(openidConnect, conf({ hide_credentials: true, upstream_access_token_header: null }), await bearer({}));
    expect(r.answered).toBeNull();
    expect(r.upstream.headers.authorization).toBeUndefined();
  });

  it('an unreachable issuer is a 502', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await runPlugin(openidConnect, { issuer: `http://127.0.0.1:${port}`, auth_methods: ['bearer'] }, { headers: { authorization: `Bearer ${await token({})}` } });
    expect(r.response.status).toBe(502);
    expect(JSON.parse(r.response.body.toString()).message).toBe('The identity provider could not be reached');
  });

  it('requires issuer and refuses an unknown auth method', async () => {
    const before = hits;
    await expect(runPlugin(openidConnect, {})).rejects.toThrow(/invalid config for openid-connect: .*issuer/);
    await expect(runPlugin(openidConnect, conf({ auth_methods: ['magic'] }))).rejects.toThrow(/invalid config for openid-connect: \/auth_methods/);
    expect(hits).toBe(before); // validation never calls the issuer
  });
});
