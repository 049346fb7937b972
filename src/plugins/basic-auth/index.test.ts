/** basic-auth through the plugin harness (src/plugins/harness.ts). */
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { runPlugin, type FakeRequest } from '../harness.js';
import { basicAuth, parseBasic } from './index.js';

const basic = (user: string, password: string): string => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

const world: Pick<FakeRequest, 'consumers' | 'credentials'> = {
  consumers: [
    { id: 'c-alice', username: 'alice' },
    { id: 'c-bob', username: 'bob' },
    { id: 'c-anon', username: 'guest' },
  ],
  credentials: {
    basicauth_credentials: [
      { id: 'b-1', consumer: 'c-alice', username: 'alice-login', password: 'open sesame' },
      // bcrypt with the lowest cost, so the test stays quick.
      { id: 'b-2', consumer: 'c-bob', username: 'bob-login', password: bcrypt.hashSync('hunter2', 4) },
    ],
  },
};

describe('basic-auth (harness)', () => {
  it('authenticates a plaintext credential; the credential identifier is its username', async () => {
    const r = await runPlugin(basicAuth, {}, { ...world, headers: { authorization: basic('alice-login', 'open sesame') } });
    expect(r.answered).toBeNull();
    expect(r.consumer?.id).toBe('c-alice');
    expect(r.credentialId).toBe('alice-login');
    expect(r.upstream.headers.authorization).toBe(basic('alice-login', 'open sesame'));
  });

  it('authenticates a bcrypt-hashed credential and refuses a wrong password for it', async () => {
    const ok = await runPlugin(basicAuth, {}, { ...world, headers: { authorization: basic('bob-login', 'hunter2') } });
    expect(ok.consumer?.id).toBe('c-bob');
    const bad = await runPlugin(basicAuth, {}, { ...world, headers: { authorization: basic('bob-login', 'hunter3') } });
    expect(bad.response.status).toBe(401);
    expect(JSON.parse(bad.response.body.toString()).message).toBe('Invalid authentication credentials');
  });

  it('answers 401 Unauthorized with a Basic challenge (default realm "service") without credentials', async () => {
    const r = await runPlugin(basicAuth, {}, { ...world });
    expect(r.response.status).toBe(401);
    expect(JSON.parse(r.response.body.toString()).message).toBe('Unauthorized');
    expect(r.response.headers['www-authenticate']).toBe('Basic realm="service"');
  });

  it('refuses a wrong password and an unknown user alike', async () => {
    for (const authorization of [basic('alice-login', 'wrong'), basic('mallory', 'open sesame'), 'Basic !!notbase64']) {
      const r = await runPlugin(basicAuth, {}, { ...world, headers: { authorization } });
      expect(r.response.status).toBe(401);
      expect(JSON.parse(r.response.body.toString()).message).toBe('Invalid authentication credentials');
    }
  });

  it('hide_credentials removes Authorization from the upstream request, even when it is wrong (as Kong)', async () => {
    const ok = await runPlugin(basicAuth, { hide_credentials: true }, { ...world, headers: { authorization: basic('alice-login', 'open sesame') } });
    expect(ok.consumer?.id).toBe('c-alice');
    expect(ok.upstream.headers.authorization).toBeUndefined();
    const bad = await runPlugin(basicAuth, { hide_credentials: true, anonymous: 'guest' }, { ...world, headers: { authorization: basic('alice-login', 'nope') } });
    expect(bad.anonymous).toBe(true);
    expect(bad.consumer?.id).toBe('c-anon');
    expect(bad.upstream.headers.authorization).toBeUndefined();
  });

  it('accepts Proxy-Authorization naming a known user', async () => {
    const r = await runPlugin(basicAuth, {}, { ...world, headers: { 'proxy-authorization': basic('alice-login', 'open sesame') } });
    expect(r.consumer?.id).toBe('c-alice');
  });

  it('parses the username up to the first colon; the password may hold colons', () => {
    expect(parseBasic(basic('u', 'p:a:ss'))).toEqual({ username: 'u', password: 'p:a:ss' });
    expect(parseBasic('bAsIc ' + Buffer.from('u:').toString('base64'))).toEqual({ username: 'u', password: '' });
    expect(parseBasic(basic('', 'x'))).toBeNull();
    expect(parseBasic('Bearer abc')).toBeNull();
  });

  it('refuses an unknown config field and a realm that is not a string', async () => {
    await expect(runPlugin(basicAuth, { nope: 1 })).rejects.toThrow(/invalid config for basic-auth/);
    await expect(runPlugin(basicAuth, { realm: 3 })).rejects.toThrow(/invalid config for basic-auth: \/realm/);
  });
});
