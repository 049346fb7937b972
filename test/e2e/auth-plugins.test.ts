/**
 * basic-auth, jwt, hmac-auth and acl through the built gateway with a real upstream, plus
 * several auth plugins with `anonymous` on one route. Requests that carry credentials go through
 * node:http so that Date, Proxy-Authorization and duplicate sources are sent exactly as written.
 */
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { SignJWT, exportSPKI, generateKeyPair, type KeyLike } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLUICE, SLUICE_ARGS, startGateway, tempDir, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let up: Upstream;
let gw: GatewayProcess;
let rsPrivate: KeyLike;
let esPrivate: KeyLike;
let rsPublicPem: string;

const ALICE_JWT_SECRET = 'alice-jwt-secret-0123456789abcdef';
const DAVE_RAW_SECRET = 'dave-raw-secret-0123456789abcdef';
const ALICE_HMAC_SECRET = 'alice-hmac-secret-xyz';
const BOB_BCRYPT = bcrypt.hashSync('bob-pass', 4);
/** Every token or secret a test sends: none may appear in logs, /config or /consumers. */
const sent = new Set<string>(['alice-pass', 'bob-pass', 'alice-key', 'bob-key', 'carol-key', ALICE_JWT_SECRET, DAVE_RAW_SECRET, ALICE_HMAC_SECRET, BOB_BCRYPT]);

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const now = (): number => Math.floor(Date.now() / 1000);

async function hs(claims: Record<string, unknown>, secret = ALICE_JWT_SECRET, alg = 'HS256', header: Record<string, unknown> = {}): Promise<string> {
  const t = await new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT', ...header }).sign(enc(secret));
  sent.add(t);
  return t;
}
async function rs(claims: Record<string, unknown>): Promise<string> {
  const t = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(rsPrivate);
  sent.add(t);
  return t;
}
async function es(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const t = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', ...header }).sign(esPrivate);
  sent.add(t);
  return t;
}
const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const basic = (u: string, p: string): string => {
  const v = 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');
  sent.add(v.slice(6));
  return v;
};

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** A request with exactly these headers (node:http sends Date, Proxy-Authorization as given). */
function request(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${gw.url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(body);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode!, headers: res.headers, body, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** What the upstream saw (the default upstream echoes the request as JSON). */
const upstreamHeaders = (r: Res): Record<string, string> => (r.json as { headers: Record<string, string> }).headers;

beforeAll(async () => {
  const rsPair = await generateKeyPair('RS256');
  rsPrivate = rsPair.privateKey;
  rsPublicPem = await exportSPKI(rsPair.publicKey);
  const esPair = await generateKeyPair('ES256');
  esPrivate = esPair.privateKey;
  const esPublicPem = await exportSPKI(esPair.publicKey);
  const indent = (pem: string, n: number): string => pem.trim().split('\n').join('\n' + ' '.repeat(n));
  up = await startUpstream();
  gw = await startGateway(`
_format_version: "3.0"
consumer_groups:
  - name: gold
consumers:
  - username: alice
    custom_id: alice-1
    keyauth_credentials: [{ key: alice-key }]
    basicauth_credentials: [{ username: alice, password: alice-pass }]
    jwt_secrets: [{ key: alice-hs, algorithm: HS256, secret: ${ALICE_JWT_SECRET} }]
    hmacauth_credentials: [{ username: alice-hmac, secret: ${ALICE_HMAC_SECRET} }]
    acls: [{ group: admins }, { group: staff }]
  - username: bob
    keyauth_credentials: [{ key: bob-key }]
    basicauth_credentials: [{ username: bob, password: "${BOB_BCRYPT}" }]
    jwt_secrets:
      - key: bob-rs
        algorithm: RS256
        rsa_public_key: |
          ${indent(rsPublicPem, 10)}
    acls: [{ group: users }]
  - username: carol
    groups: [gold]
    keyauth_credentials: [{ key: carol-key }]
    jwt_secrets:
      - key: carol-es
        algorithm: ES256
        rsa_public_key: |
          ${indent(esPublicPem, 10)}
  - username: dave
    jwt_secrets: [{ key: dave-b64, algorithm: HS256, secret: ${Buffer.from(DAVE_RAW_SECRET).toString('base64')} }]
  - username: guest
    acls: [{ group: guests }]
services:
  - name: api
    url: ${up.url}
    routes:
      - { name: basic, paths: [/basic], plugins: [{ name: basic-auth, config: { hide_credentials: true } }] }
      - { name: basic-keep, paths: [/basic-keep], plugins: [{ name: basic-auth, config: { realm: sluice-test } }] }
      - { name: basic-anon, paths: [/basic-anon], plugins: [{ name: basic-auth, config: { anonymous: guest } }] }
      - { name: jwt, paths: [/jwt], plugins: [{ name: jwt }] }
      - name: jwt-claims
        paths: [/jwt-claims]
        plugins:
          - name: jwt
            config: { claims_to_verify: [exp, nbf], maximum_expiration: 3600, cookie_names: [token], header_names: [authorization, x-jwt], realm: api }
      - { name: jwt-kid, paths: [/jwt-kid], plugins: [{ name: jwt, config: { key_claim_name: kid } }] }
      - { name: jwt-b64, paths: [/jwt-b64], plugins: [{ name: jwt, config: { secret_is_base64: true } }] }
      - { name: jwt-preflight, paths: [/jwt-preflight], plugins: [{ name: jwt, config: { run_on_preflight: false } }] }
      - name: hmac
        paths: [/hmac]
        plugins:
          - name: hmac-auth
            config: { hide_credentials: true, enforce_headers: [date, request-line], algorithms: [hmac-sha256, hmac-sha512] }
      - { name: hmac-default, paths: [/hmac-default], plugins: [{ name: hmac-auth, config: { realm: signed } }] }
      - { name: hmac-anon, paths: [/hmac-anon], plugins: [{ name: hmac-auth, config: { anonymous: guest } }] }
      - name: multi
        paths: [/multi]
        plugins:
          - { name: key-auth, config: { anonymous: guest } }
          - { name: basic-auth, config: { anonymous: guest } }
          - { name: jwt, config: { anonymous: guest } }
      - name: multi-acl
        paths: [/multi-acl]
        plugins:
          - { name: key-auth, config: { anonymous: guest } }
          - { name: basic-auth, config: { anonymous: guest } }
          - { name: jwt, config: { anonymous: guest } }
          - { name: acl, config: { deny: [guests] } }
      - name: acl-allow
        paths: [/acl-allow]
        plugins: [{ name: key-auth }, { name: acl, config: { allow: [admins] } }]
      - name: acl-deny
        paths: [/acl-deny]
        plugins: [{ name: key-auth }, { name: acl, config: { deny: [admins], hide_groups_header: true } }]
      - name: acl-cg
        paths: [/acl-cg]
        plugins: [{ name: key-auth }, { name: acl, config: { allow: [gold] } }]
      - name: acl-cg-off
        paths: [/acl-cg-off]
        plugins: [{ name: key-auth }, { name: acl, config: { allow: [gold], include_consumer_groups: false } }]
      - { name: acl-noauth, paths: [/acl-noauth], plugins: [{ name: acl, config: { allow: [admins] } }] }
`);
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

describe('basic-auth', () => {
  it('401 "Unauthorized" with WWW-Authenticate (default realm "service") when no credentials; nothing reaches the upstream', async () => {
    const before = up.seen.length;
    const r = await request('/basic');
    expect(r.status).toBe(401);
    expect(r.json.message).toBe('Unauthorized');
    expect(r.json.request_id).toEqual(expect.any(String));
    expect(r.headers['www-authenticate']).toBe('Basic realm="service"');
    expect(up.seen.length).toBe(before);
  });

  it('401 "Invalid authentication credentials" for a wrong password, an unknown user or a malformed header', async () => {
    for (const auth of [basic('alice', 'nope'), basic('mallory', 'alice-pass'), 'Basic !!!not-base64', 'Basic ' + Buffer.from('no-colon').toString('base64'), 'Bearer abc']) {
      const r = await request('/basic', { authorization: auth });
      expect(r.status, auth).toBe(401);
      expect(r.json.message).toBe('Invalid authentication credentials');
      expect(r.headers['www-authenticate']).toBe('Basic realm="service"');
    }
  });

  it('a plaintext password authenticates: X-Consumer-* upstream, credentials hidden (hide_credentials)', async () => {
    const r = await request('/basic', { authorization: basic('alice', 'alice-pass') });
    expect(r.status).toBe(200);
    const h = upstreamHeaders(r);
    expect(h['x-consumer-username']).toBe('alice');
    expect(h['x-consumer-custom-id']).toBe('alice-1');
    expect(h['x-consumer-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(h['x-credential-identifier']).toBe('alice');
    expect(h['x-consumer-groups']).toBe('admins, staff');
    expect(h['x-anonymous-consumer']).toBeUndefined();
    expect(h.authorization).toBeUndefined();
  });

  it('the scheme is case-insensitive', async () => {
    const r = await request('/basic', { authorization: 'basic ' + Buffer.from('alice:alice-pass').toString('base64') });
    expect(r.status).toBe(200);
  });

  it('a bcrypt hash authenticates (again from the verification cache), a wrong password against it does not', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await request('/basic', { authorization: basic('bob', 'bob-pass') });
      expect(r.status).toBe(200);
      expect(upstreamHeaders(r)['x-consumer-username']).toBe('bob');
    }
    const bad = await request('/basic', { authorization: basic('bob', 'bob-pass2') });
    expect(bad.status).toBe(401);
    expect(bad.json.message).toBe('Invalid authentication credentials');
  });

  it('Proxy-Authorization is read too (and never forwarded: it is hop-by-hop)', async () => {
    const r = await request('/basic-keep', { 'proxy-authorization': basic('alice', 'alice-pass') });
    expect(r.status).toBe(200);
    expect(upstreamHeaders(r)['x-consumer-username']).toBe('alice');
    expect(upstreamHeaders(r)['proxy-authorization']).toBeUndefined();
  });

  it('without hide_credentials the Authorization header reaches the upstream; realm is configurable', async () => {
    const auth = basic('alice', 'alice-pass');
    const r = await request('/basic-keep', { authorization: auth });
    expect(upstreamHeaders(r).authorization).toBe(auth);
    const denied = await request('/basic-keep');
    expect(denied.headers['www-authenticate']).toBe('Basic realm="sluice-test"');
  });

  it('anonymous: no or bad credentials continue as the anonymous consumer with X-Anonymous-Consumer', async () => {
    for (const headers of [{}, { authorization: basic('alice', 'wrong') }] as Array<Record<string, string>>) {
      const r = await request('/basic-anon', headers);
      expect(r.status).toBe(200);
      const h = upstreamHeaders(r);
      expect(h['x-anonymous-consumer']).toBe('true');
      expect(h['x-consumer-username']).toBe('guest');
      expect(h['x-credential-identifier']).toBeUndefined();
    }
    const ok = await request('/basic-anon', { authorization: basic('alice', 'alice-pass') });
    expect(upstreamHeaders(ok)['x-consumer-username']).toBe('alice');
    expect(upstreamHeaders(ok)['x-anonymous-consumer']).toBeUndefined();
  });
});

describe('jwt', () => {
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it('401 "Unauthorized" with WWW-Authenticate: Bearer when there is no token', async () => {
    const r = await request('/jwt');
    expect(r.status).toBe(401);
    expect(r.json.message).toBe('Unauthorized');
    expect(r.headers['www-authenticate']).toBe('Bearer');
    const basicOnly = await request('/jwt', { authorization: 'Basic abc' });
    expect(basicOnly.json.message).toBe('Unauthorized');
  });

  it('HS256, RS256 and ES256 tokens authenticate their consumers; X-Credential-Identifier is the key', async () => {
    const cases: Array<[string, string]> = [
      [await hs({ iss: 'alice-hs' }), 'alice'],
      [await rs({ iss: 'bob-rs', sub: 'x' }), 'bob'],
      [await es({ iss: 'carol-es' }), 'carol'],
    ];
    for (const [token, user] of cases) {
      const r = await request('/jwt', bearer(token));
      expect(r.status, user).toBe(200);
      const h = upstreamHeaders(r);
      expect(h['x-consumer-username']).toBe(user);
      expect(h['x-credential-identifier']).toBe({ alice: 'alice-hs', bob: 'bob-rs', carol: 'carol-es' }[user]);
    }
  });

  it('reads the token from the jwt query parameter; the same token in two places is fine', async () => {
    const t = await hs({ iss: 'alice-hs' });
    expect((await request(`/jwt?jwt=${t}`)).status).toBe(200);
    expect((await request(`/jwt?jwt=${t}`, bearer(t))).status).toBe(200);
  });

  it('two different tokens: 401 "Multiple tokens provided"', async () => {
    const a = await hs({ iss: 'alice-hs', n: 1 });
    const b = await hs({ iss: 'alice-hs', n: 2 });
    const r = await request(`/jwt?jwt=${a}`, bearer(b));
    expect(r.status).toBe(401);
    expect(r.json.message).toBe('Multiple tokens provided');
    expect(r.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it("Kong's messages for bad tokens, unknown keys, wrong algorithms and bad signatures", async () => {
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: 'alice-hs' })}.`;
    const cases: Array<[string, string]> = [
      ['abc', 'Bad token; invalid JSON'],
      ['a.b.c', 'Bad token; invalid JSON'],
      [`${b64url({ alg: 'HS256', typ: 'JWS' })}.${b64url({ iss: 'alice-hs' })}.sig`, 'Bad token; invalid typ'],
      [none, 'Bad token; invalid alg'],
      [`${b64url({ alg: 'HS257' })}.${b64url({ iss: 'alice-hs' })}.sig`, 'Bad token; invalid alg'],
      [await hs({ sub: 'nobody' }), "No mandatory 'iss' in claims"],
      [await hs({ iss: '' }), "Invalid 'iss' in claims"],
      [await hs({ iss: 'unknown-key' }), "No credentials found for given 'iss'"],
      [await hs({ iss: 'alice-hs' }, ALICE_JWT_SECRET, 'HS384'), 'Invalid algorithm'],
      [await hs({ iss: 'alice-hs' }, 'some-other-secret-0123456789abcdef'), 'Invalid signature'],
      // Algorithm confusion: an HMAC token keyed with the RS256 credential's public key.
      [await hs({ iss: 'bob-rs' }, rsPublicPem), 'Invalid algorithm'],
      [(await rs({ iss: 'bob-rs' })).replace(/\.[^.]+$/, '.' + Buffer.from('forged').toString('base64url')), 'Invalid signature'],
    ];
    for (const [token, message] of cases) {
      const r = await request('/jwt', bearer(token));
      expect(r.status, message).toBe(401);
      expect(r.json.message, token).toBe(message);
    }
  });

  it('claims are not checked unless claims_to_verify says so', async () => {
    const expired = await hs({ iss: 'alice-hs', exp: now() - 60 });
    expect((await request('/jwt', bearer(expired))).status).toBe(200);
  });

  it('claims_to_verify exp/nbf and maximum_expiration: 401 with the claim errors', async () => {
    const cases: Array<[Record<string, unknown>, string, Record<string, string>]> = [
      [{ iss: 'alice-hs', exp: now() - 10, nbf: now() - 20 }, 'token expired', { exp: 'token expired' }],
      [{ iss: 'alice-hs', exp: now() + 60, nbf: now() + 600 }, 'token not valid yet', { nbf: 'token not valid yet' }],
      [{ iss: 'alice-hs', nbf: now() - 10 }, 'exp must be a number', { exp: 'must be a number' }],
      [{ iss: 'alice-hs', exp: now() - 10 }, 'token expired, nbf must be a number', { exp: 'token expired', nbf: 'must be a number' }],
      [{ iss: 'alice-hs', exp: now() + 7200, nbf: now() - 10 }, 'exceeds maximum allowed expiration', { exp: 'exceeds maximum allowed expiration' }],
    ];
    for (const [claims, message, errors] of cases) {
      const r = await request('/jwt-claims', bearer(await hs(claims)));
      expect(r.status, message).toBe(401);
      expect(r.json).toMatchObject({ message, ...errors, request_id: expect.any(String) });
      expect(r.headers['www-authenticate']).toBe('Bearer realm="api" error="invalid_token"');
      expect(r.headers['content-type']).toMatch(/^application\/json/);
    }
    const good = await hs({ iss: 'alice-hs', exp: now() + 600, nbf: now() - 10 });
    expect((await request('/jwt-claims', bearer(good))).status).toBe(200);
    expect((await request('/jwt-claims')).headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('cookie_names and header_names', async () => {
    const t = await hs({ iss: 'alice-hs', exp: now() + 600, nbf: now() - 10 });
    expect((await request('/jwt-claims', { cookie: `a=b; token=${t}; c=d` })).status).toBe(200);
    expect((await request('/jwt-claims', { 'x-jwt': `Bearer ${t}` })).status).toBe(200);
    expect((await request('/jwt', { cookie: `token=${t}` })).status).toBe(401);
  });

  it('key_claim_name reads the claim from the payload, then the header (kid)', async () => {
    const t = await es({ sub: 'x' }, { kid: 'carol-es' });
    const r = await request('/jwt-kid', bearer(t));
    expect(r.status).toBe(200);
    expect(upstreamHeaders(r)['x-consumer-username']).toBe('carol');
  });

  it('secret_is_base64 decodes the credential secret', async () => {
    const t = await hs({ iss: 'dave-b64' }, DAVE_RAW_SECRET);
    expect((await request('/jwt-b64', bearer(t))).status).toBe(200);
    expect((await request('/jwt', bearer(t))).json.message).toBe('Invalid signature');
  });

  it('run_on_preflight: false lets OPTIONS through unauthenticated', async () => {
    expect((await request('/jwt-preflight', {}, 'OPTIONS')).status).toBe(200);
    expect((await request('/jwt-preflight')).status).toBe(401);
    expect((await request('/jwt', {}, 'OPTIONS')).status).toBe(401);
  });
});

describe('hmac-auth', () => {
  /** Signs like a Kong client: `name: value` lines, request-line as `METHOD /path?query HTTP/1.1`. */
  function sign(opts: { path: string; headers: Record<string, string>; signed: string[]; algorithm?: string; secret?: string; username?: string; method?: string }): string {
    const algorithm = opts.algorithm ?? 'hmac-sha256';
    const lines = opts.signed.map((h) => (h === 'request-line' ? `${opts.method ?? 'GET'} ${opts.path} HTTP/1.1` : `${h}: ${opts.headers[h]}`));
    const signature = createHmac(algorithm.slice(5), opts.secret ?? ALICE_HMAC_SECRET).update(lines.join('\n')).digest('base64');
    sent.add(signature);
    return `hmac username="${opts.username ?? 'alice-hmac'}", algorithm="${algorithm}", headers="${opts.signed.join(' ')}", signature="${signature}"`;
  }
  const date = (offsetS = 0): string => new Date(Date.now() + offsetS * 1000).toUTCString();

  it('401 "Unauthorized" without an Authorization header', async () => {
    const r = await request('/hmac', { date: date() });
    expect(r.status).toBe(401);
    expect(r.json.message).toBe('Unauthorized');
    expect(r.headers['www-authenticate']).toBe('hmac');
  });

  it('a Date or X-Date within clock_skew is required', async () => {
    const message = 'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication';
    for (const d of [null, date(-400), date(400), 'not a date']) {
      const headers: Record<string, string> = d === null ? {} : { date: d };
      headers.authorization = sign({ path: '/hmac', headers, signed: ['request-line'] });
      const r = await request('/hmac', headers);
      expect(r.status, String(d)).toBe(401);
      expect(r.json.message).toBe(message);
    }
  });

  it('a Kong client signature over date and request-line (with the query) authenticates; credentials hidden', async () => {
    const headers: Record<string, string> = { date: date() };
    headers.authorization = sign({ path: '/hmac/x?a=1&b=two', headers, signed: ['date', 'request-line'] });
    const r = await request('/hmac/x?a=1&b=two', headers);
    expect(r.status).toBe(200);
    const h = upstreamHeaders(r);
    expect(h['x-consumer-username']).toBe('alice');
    expect(h['x-credential-identifier']).toBe('alice-hmac');
    expect(h.authorization).toBeUndefined();
  });

  it('X-Date instead of Date, hmac-sha512, and Proxy-Authorization', async () => {
    const headers: Record<string, string> = { 'x-date': date() };
    // `date` is listed but absent: it is signed as "date:" (Kong's rule).
    const lines = [`x-date: ${headers['x-date']}`, 'date:', 'GET /hmac HTTP/1.1'].join('\n');
    const sig = createHmac('sha512', ALICE_HMAC_SECRET).update(lines).digest('base64');
    sent.add(sig);
    headers['proxy-authorization'] = `hmac username="alice-hmac", algorithm="hmac-sha512", headers="x-date date request-line", signature="${sig}"`;
    const r = await request('/hmac', headers);
    expect(r.status).toBe(200);
  });

  it('"HMAC signature cannot be verified": enforced header unsigned, algorithm not allowed, unknown user, malformed', async () => {
    const headers: Record<string, string> = { date: date() };
    const cases = [
      sign({ path: '/hmac', headers, signed: ['date'] }),
      sign({ path: '/hmac', headers, signed: ['date', 'request-line'], algorithm: 'hmac-sha1' }),
      sign({ path: '/hmac', headers, signed: ['date', 'request-line'], username: 'nobody' }),
      'hmac username="alice-hmac"',
    ];
    for (const authorization of cases) {
      const r = await request('/hmac', { ...headers, authorization });
      expect(r.status, authorization).toBe(401);
      expect(r.json.message).toBe('HMAC signature cannot be verified');
    }
  });

  it('"HMAC signature does not match": wrong secret, another path, a tampered signed header', async () => {
    const headers: Record<string, string> = { date: date(), 'x-custom': 'v1' };
    const cases: Array<[string, Record<string, string>]> = [
      ['/hmac', { ...headers, authorization: sign({ path: '/hmac', headers, signed: ['date', 'request-line'], secret: 'wrong' }) }],
      ['/hmac/other', { ...headers, authorization: sign({ path: '/hmac', headers, signed: ['date', 'request-line'] }) }],
      ['/hmac', { ...headers, 'x-custom': 'v2', authorization: sign({ path: '/hmac', headers, signed: ['date', 'request-line', 'x-custom'] }) }],
    ];
    for (const [path, h] of cases) {
      const r = await request(path, h);
      expect(r.status, path).toBe(401);
      expect(r.json.message).toBe('HMAC signature does not match');
    }
  });

  it('default config: every algorithm, any signed headers; realm in WWW-Authenticate', async () => {
    for (const algorithm of ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512']) {
      const headers: Record<string, string> = { date: date(), 'x-custom': 'v1' };
      headers.authorization = sign({ path: '/hmac-default', headers, signed: ['date', 'x-custom'], algorithm });
      const r = await request('/hmac-default', headers);
      expect(r.status, algorithm).toBe(200);
      expect(upstreamHeaders(r).authorization).toBe(headers.authorization);
    }
    expect((await request('/hmac-default')).headers['www-authenticate']).toBe('hmac realm="signed"');
  });

  it('anonymous', async () => {
    const r = await request('/hmac-anon');
    expect(r.status).toBe(200);
    expect(upstreamHeaders(r)['x-anonymous-consumer']).toBe('true');
  });
});

describe('acl', () => {
  it('allow: a consumer in the group passes with X-Consumer-Groups; others get 403 "You cannot consume this service"', async () => {
    const ok = await request('/acl-allow', { apikey: 'alice-key' });
    expect(ok.status).toBe(200);
    expect(upstreamHeaders(ok)['x-consumer-groups']).toBe('admins, staff');
    const denied = await request('/acl-allow', { apikey: 'bob-key' });
    expect(denied.status).toBe(403);
    expect(denied.json.message).toBe('You cannot consume this service');
  });

  it('deny with hide_groups_header: X-Consumer-Groups does not reach the upstream', async () => {
    expect((await request('/acl-deny', { apikey: 'alice-key' })).status).toBe(403);
    const ok = await request('/acl-deny', { apikey: 'bob-key' });
    expect(ok.status).toBe(200);
    expect(upstreamHeaders(ok)['x-consumer-groups']).toBeUndefined();
    expect(upstreamHeaders(ok)['x-consumer-username']).toBe('bob');
  });

  it('consumer groups count as groups unless include_consumer_groups is false', async () => {
    expect((await request('/acl-cg', { apikey: 'carol-key' })).status).toBe(200);
    expect((await request('/acl-cg', { apikey: 'alice-key' })).status).toBe(403);
    expect((await request('/acl-cg-off', { apikey: 'carol-key' })).status).toBe(403);
  });

  it('401 "Unauthorized" when no consumer was authenticated', async () => {
    const r = await request('/acl-noauth');
    expect(r.status).toBe(401);
    expect(r.json.message).toBe('Unauthorized');
  });
});

describe('several auth plugins with anonymous on one route', () => {
  it('any one credential type authenticates alone; none gives the anonymous consumer', async () => {
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ apikey: 'carol-key' }, 'carol', 'key-auth'],
      [{ authorization: basic('bob', 'bob-pass') }, 'bob', 'bob'],
      [{ authorization: `Bearer ${await hs({ iss: 'alice-hs' })}` }, 'alice', 'alice-hs'],
    ];
    for (const [headers, user, cred] of cases) {
      const r = await request('/multi', headers);
      expect(r.status, user).toBe(200);
      const h = upstreamHeaders(r);
      expect(h['x-consumer-username']).toBe(user);
      expect(h['x-anonymous-consumer']).toBeUndefined();
      if (cred !== 'key-auth') expect(h['x-credential-identifier']).toBe(cred);
      else expect(h['x-credential-identifier']).toMatch(/^[0-9a-f-]{36}$/);
    }
    const anon = await request('/multi');
    expect(anon.status).toBe(200);
    expect(upstreamHeaders(anon)['x-consumer-username']).toBe('guest');
    expect(upstreamHeaders(anon)['x-anonymous-consumer']).toBe('true');
    expect(upstreamHeaders(anon)['x-consumer-groups']).toBe('guests');
  });

  it('with an acl that denies the anonymous group: credentials pass, none gets 403', async () => {
    expect((await request('/multi-acl', { apikey: 'carol-key' })).status).toBe(200);
    expect((await request('/multi-acl', { authorization: basic('alice', 'alice-pass') })).status).toBe(200);
    expect((await request('/multi-acl', { authorization: `Bearer ${await rs({ iss: 'bob-rs' })}` })).status).toBe(200);
    const anon = await request('/multi-acl');
    expect(anon.status).toBe(403);
    expect(anon.json.message).toBe('You cannot consume this service');
    const wrong = await request('/multi-acl', { authorization: basic('alice', 'wrong') });
    expect(wrong.status).toBe(403);
  });
});

describe('secrets stay secret', () => {
  it('no credential, token, password or signature in the logs, /config or /consumers', async () => {
    const admin = await Promise.all(['/config', '/consumers'].map((p) => fetch(gw.admin + p).then((r) => r.text())));
    expect(admin[0]).toContain('alice-hs'); // the jwt key is an identifier, not a secret
    const haystacks = { logs: gw.lines.join('\n'), config: admin[0]!, consumers: admin[1]! };
    expect(sent.size).toBeGreaterThan(20);
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of sent) expect(text.includes(secret), `${where} contains a secret`).toBe(false);
    }
  });
});

describe('validation', () => {
  it('rejects validate_request_body, allow with deny, and maximum_expiration without exp, with clear messages', () => {
    const file = join(tempDir(), 'gateway.yaml');
    writeFileSync(
      file,
      `_format_version: "3.0"
services:
  - name: s
    url: http://127.0.0.1:1
    plugins:
      - { name: hmac-auth, config: { validate_request_body: true } }
      - { name: acl, config: { allow: [a], deny: [b] } }
      - { name: jwt, config: { maximum_expiration: 60 } }
      - { name: basic-auth, config: { password: x } }
`,
    );
    let out = '';
    let code = 0;
    try {
      execFileSync(SLUICE, [...SLUICE_ARGS, 'validate', '-c', file], { encoding: 'utf8' });
    } catch (e) {
      const err = e as { status: number; stdout: string; stderr: string };
      code = err.status;
      out = err.stdout + err.stderr;
    }
    expect(code).toBe(1);
    expect(out).toContain('config.validate_request_body is not supported: Sluice streams request bodies');
    expect(out).toContain('config.deny cannot be set together with allow');
    expect(out).toContain('config.claims_to_verify must contain exp when maximum_expiration is set');
    expect(out).toContain('config has unknown key "password"');
  });
});
