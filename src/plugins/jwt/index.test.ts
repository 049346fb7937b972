/** jwt through the plugin harness (src/plugins/harness.ts), with tokens signed here by jose. */
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { runPlugin, type FakeRequest } from '../harness.js';
import { decodeJwt, jwt } from './index.js';

const HS_SECRET = 'a-shared-secret-of-enough-length-for-hs256';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const world: Pick<FakeRequest, 'consumers' | 'credentials'> = {
  consumers: [
    { id: 'c-alice', username: 'alice' },
    { id: 'c-bob', username: 'bob' },
    { id: 'c-anon', username: 'guest' },
  ],
  credentials: {
    jwt_secrets: [
      { id: 'j-1', consumer: 'c-alice', key: 'alice-iss', secret: HS_SECRET, algorithm: 'HS256', rsa_public_key: null },
      { id: 'j-2', consumer: 'c-bob', key: 'bob-iss', secret: null, algorithm: 'RS256', rsa_public_key: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    ],
  },
};

const now = (): number => Math.floor(Date.now() / 1000);
const hs256 = (claims: Record<string, unknown>, secret = HS_SECRET): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
const bearer = (token: string): FakeRequest => ({ ...world, headers: { authorization: `Bearer ${token}` } });
const message = (body: Buffer): string => (JSON.parse(body.toString()) as { message: string }).message;

describe('jwt (harness)', () => {
  it('authenticates an HS256 token whose iss names the credential; the credential identifier is its key', async () => {
    const r = await runPlugin(jwt, {}, bearer(await hs256({ iss: 'alice-iss', sub: 'x' })));
    expect(r.answered).toBeNull();
    expect(r.consumer?.id).toBe('c-alice');
    expect(r.credentialId).toBe('alice-iss');
  });

  it('authenticates an RS256 token against the credential public key, and refuses one signed by another key', async () => {
    const ok = await new SignJWT({ iss: 'bob-iss' }).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey);
    expect((await runPlugin(jwt, {}, bearer(ok))).consumer?.id).toBe('c-bob');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT({ iss: 'bob-iss' }).setProtectedHeader({ alg: 'RS256' }).sign(other.privateKey);
    const r = await runPlugin(jwt, {}, bearer(forged));
    expect(r.response.status).toBe(401);
    expect(message(r.response.body)).toBe('Invalid signature');
  });

  it('reads the token from the jwt query parameter by default', async () => {
    const r = await runPlugin(jwt, {}, { ...world, path: `/p?jwt=${await hs256({ iss: 'alice-iss' })}` });
    expect(r.consumer?.id).toBe('c-alice');
  });

  it('answers 401 Unauthorized with a plain Bearer challenge without a token', async () => {
    const r = await runPlugin(jwt, {}, { ...world });
    expect(r.response.status).toBe(401);
    expect(message(r.response.body)).toBe('Unauthorized');
    expect(r.response.headers['www-authenticate']).toBe('Bearer');
  });

  it('refuses alg none (an unsigned token) as a bad token', async () => {
    const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: 'alice-iss' })}.`;
    const r = await runPlugin(jwt, {}, bearer(unsigned));
    expect(r.response.status).toBe(401);
    expect(message(r.response.body)).toBe('Bad token; invalid alg');
    expect(r.consumer).toBeNull();
  });

  it('refuses a token whose alg differs from the credential algorithm', async () => {
    // HS256 signed with the RSA public key text: the classic confusion attack.
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const r = await runPlugin(jwt, {}, bearer(await hs256({ iss: 'bob-iss' }, pem)));
    expect(message(r.response.body)).toBe('Invalid algorithm');
  });

  it('claims_to_verify exp: an expired token is refused with Kong per-claim message', async () => {
    const r = await runPlugin(jwt, { claims_to_verify: ['exp'] }, bearer(await hs256({ iss: 'alice-iss', exp: now() - 60 })));
    expect(r.response.status).toBe(401);
    expect(JSON.parse(r.response.body.toString())).toMatchObject({ message: 'token expired', exp: 'token expired' });
    const fresh = await runPlugin(jwt, { claims_to_verify: ['exp'] }, bearer(await hs256({ iss: 'alice-iss', exp: now() + 600 })));
    expect(fresh.consumer?.id).toBe('c-alice');
  });

  it('without claims_to_verify an expired token still passes (Kong verifies only listed claims)', async () => {
    const r = await runPlugin(jwt, {}, bearer(await hs256({ iss: 'alice-iss', exp: now() - 60 })));
    expect(r.consumer?.id).toBe('c-alice');
  });

  it('maximum_expiration refuses a token living too long', async () => {
    const r = await runPlugin(jwt, { claims_to_verify: ['exp'], maximum_expiration: 60 }, bearer(await hs256({ iss: 'alice-iss', exp: now() + 3600 })));
    expect(JSON.parse(r.response.body.toString())).toMatchObject({ exp: 'exceeds maximum allowed expiration' });
  });

  it('refuses two different tokens at once, and an unknown issuer', async () => {
    const a = await hs256({ iss: 'alice-iss', n: 1 });
    const b = await hs256({ iss: 'alice-iss', n: 2 });
    const r = await runPlugin(jwt, {}, { ...world, path: `/?jwt=${a}`, headers: { authorization: `Bearer ${b}` } });
    expect(message(r.response.body)).toBe('Multiple tokens provided');
    const u = await runPlugin(jwt, {}, bearer(await hs256({ iss: 'who' })));
    expect(message(u.response.body)).toBe("No credentials found for given 'iss'");
  });

  it('continues as the anonymous consumer on a bad signature', async () => {
    const r = await runPlugin(jwt, { anonymous: 'c-anon' }, bearer(await hs256({ iss: 'alice-iss' }, 'some-other-secret-of-enough-length!!')));
    expect(r.answered).toBeNull();
    expect(r.consumer?.id).toBe('c-anon');
    expect(r.anonymous).toBe(true);
  });

  it('decodes Kong style: a typ other than JWT and malformed JSON are bad tokens', () => {
    const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    expect(decodeJwt(`${part({ alg: 'HS256', typ: 'JWS' })}.${part({})}.x`)).toBe('invalid typ');
    expect(decodeJwt('a.b')).toBe('invalid JSON');
  });

  it('refuses maximum_expiration without exp in claims_to_verify, and an unknown claim name', async () => {
    await expect(runPlugin(jwt, { maximum_expiration: 60 })).rejects.toThrow(/invalid config for jwt: claims_to_verify must contain exp/);
    await expect(runPlugin(jwt, { claims_to_verify: ['iat'] })).rejects.toThrow(/invalid config for jwt: \/claims_to_verify/);
  });
});
