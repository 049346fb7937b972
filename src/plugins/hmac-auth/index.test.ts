/** hmac-auth through the plugin harness (src/plugins/harness.ts), with signatures computed here as a Kong client would. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runPlugin, type FakeRequest } from '../harness.js';
import { hmacAuth } from './index.js';

const SECRET = 'the-shared-secret';
const world: Pick<FakeRequest, 'consumers' | 'credentials'> = {
  consumers: [{ id: 'c-alice', username: 'alice' }],
  credentials: { hmacauth_credentials: [{ id: 'h-1', consumer: 'c-alice', username: 'alice-hmac', secret: SECRET }] },
};

/** Signs as a client: `name: value` lines (request-line as "METHOD uri HTTP/1.1"), base64 HMAC. */
function sign(opts: { method: string; uri: string; headers: Record<string, string>; signed: string[]; algorithm?: string; secret?: string; username?: string }): string {
  const algorithm = opts.algorithm ?? 'hmac-sha256';
  const lines = opts.signed.map((h) => (h === 'request-line' ? `${opts.method} ${opts.uri} HTTP/1.1` : `${h}: ${opts.headers[h]}`));
  const mac = createHmac(algorithm.replace('hmac-', ''), opts.secret ?? SECRET).update(lines.join('\n')).digest('base64');
  return `hmac username="${opts.username ?? 'alice-hmac'}", algorithm="${algorithm}", headers="${opts.signed.join(' ')}", signature="${mac}"`;
}

function signedRequest(over: Partial<Parameters<typeof sign>[0]> = {}, date = new Date().toUTCString()): FakeRequest {
  const headers: Record<string, string> = { date, 'x-custom': 'v' };
  const base = { method: 'GET', uri: '/things?a=1', headers, signed: ['date', 'request-line', 'x-custom'] };
  headers.authorization = sign({ ...base, ...over });
  return { ...world, method: 'GET', path: '/things?a=1', headers };
}

describe('hmac-auth (harness)', () => {
  it('authenticates a request signed with the credential secret (date, request-line, a custom header)', async () => {
    const r = await runPlugin(hmacAuth, {}, signedRequest());
    expect(r.answered).toBeNull();
    expect(r.consumer?.id).toBe('c-alice');
    expect(r.credentialId).toBe('alice-hmac');
  });

  it('accepts each default algorithm', async () => {
    for (const algorithm of ['hmac-sha1', 'hmac-sha384', 'hmac-sha512']) {
      const r = await runPlugin(hmacAuth, {}, signedRequest({ algorithm }));
      expect(r.consumer?.id, algorithm).toBe('c-alice');
    }
  });

  it('answers "HMAC signature does not match" for a wrong secret', async () => {
    const r = await runPlugin(hmacAuth, {}, signedRequest({ secret: 'not-it' }));
    expect(r.response.status).toBe(401);
    expect(JSON.parse(r.response.body.toString()).message).toBe('HMAC signature does not match');
  });

  it('answers 401 Unauthorized without an Authorization header', async () => {
    const r = await runPlugin(hmacAuth, {}, { ...world, headers: { date: new Date().toUTCString() } });
    expect(r.response.status).toBe(401);
    expect(JSON.parse(r.response.body.toString()).message).toBe('Unauthorized');
    expect(r.response.headers['www-authenticate']).toBe('hmac');
  });

  it('refuses a Date outside clock_skew', async () => {
    const old = new Date(Date.now() - 3600_000).toUTCString();
    const r = await runPlugin(hmacAuth, { clock_skew: 300 }, signedRequest({}, old));
    expect(r.response.status).toBe(401);
    expect(JSON.parse(r.response.body.toString()).message).toMatch(/a valid date or x-date header is required/);
  });

  it('refuses a signature that leaves out an enforced header, and an algorithm not allowed', async () => {
    const r1 = await runPlugin(hmacAuth, { enforce_headers: ['x-custom'] }, signedRequest({ signed: ['date', 'request-line'] }));
    expect(JSON.parse(r1.response.body.toString()).message).toBe('HMAC signature cannot be verified');
    const r2 = await runPlugin(hmacAuth, { algorithms: ['hmac-sha512'] }, signedRequest({ algorithm: 'hmac-sha256' }));
    expect(r2.response.status).toBe(401);
    expect(JSON.parse(r2.response.body.toString()).message).toBe('HMAC signature cannot be verified');
  });

  it('a signature over a tampered request line does not match', async () => {
    const req = signedRequest();
    const r = await runPlugin(hmacAuth, {}, { ...req, path: '/things?a=2' });
    expect(JSON.parse(r.response.body.toString()).message).toBe('HMAC signature does not match');
  });

  it('hide_credentials removes Authorization upstream', async () => {
    const r = await runPlugin(hmacAuth, { hide_credentials: true }, signedRequest());
    expect(r.consumer?.id).toBe('c-alice');
    expect(r.upstream.headers.authorization).toBeUndefined();
    expect(r.upstream.headers['x-custom']).toBe('v');
  });

  it('refuses validate_request_body (bodies stream) and an unknown algorithm in the config', async () => {
    await expect(runPlugin(hmacAuth, { validate_request_body: true })).rejects.toThrow(/invalid config for hmac-auth: validate_request_body is not supported/);
    await expect(runPlugin(hmacAuth, { algorithms: ['hmac-md5'] })).rejects.toThrow(/invalid config for hmac-auth: \/algorithms/);
  });
});
