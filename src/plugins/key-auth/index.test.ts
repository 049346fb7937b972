/** key-auth through the plugin harness (src/plugins/harness.ts): credentials from the fake configuration. */
import { describe, expect, it } from 'vitest';
import { runPlugin, type FakeRequest } from '../harness.js';
import { keyAuth } from './index.js';

const world: Pick<FakeRequest, 'consumers' | 'credentials'> = {
  consumers: [
    { id: 'c-alice', username: 'alice' },
    { id: 'c-anon', username: 'anonymous-user' },
  ],
  credentials: { keyauth_credentials: [{ id: 'cred-1', consumer: 'c-alice', key: 'secret-key-1' }] },
};

describe('key-auth (harness)', () => {
  it('authenticates a key in the default apikey header and keeps it upstream by default', async () => {
    const r = await runPlugin(keyAuth, {}, { ...world, headers: { apikey: 'secret-key-1' } });
    expect(r.answered).toBeNull();
    expect(r.consumer?.username).toBe('alice');
    expect(r.credentialId).toBe('cred-1');
    expect(r.anonymous).toBe(false);
    expect(r.upstream.headers.apikey).toBe('secret-key-1');
  });

  it('reads the key from the query string, and hide_credentials strips it from the upstream query', async () => {
    const r = await runPlugin(keyAuth, { hide_credentials: true }, { ...world, path: '/a?x=1&apikey=secret-key-1&y=2' });
    expect(r.answered).toBeNull();
    expect(r.consumer?.id).toBe('c-alice');
    expect(new URLSearchParams(r.upstream.query).has('apikey')).toBe(false);
    expect(new URLSearchParams(r.upstream.query).get('x')).toBe('1');
    expect(new URLSearchParams(r.upstream.query).get('y')).toBe('2');
  });

  it('hide_credentials removes the key header from the upstream request', async () => {
    const r = await runPlugin(keyAuth, { key_names: ['x-api-key'], hide_credentials: true }, { ...world, headers: { 'X-Api-Key': 'secret-key-1', other: 'kept' } });
    expect(r.consumer?.id).toBe('c-alice');
    expect(r.upstream.headers['x-api-key']).toBeUndefined();
    expect(r.upstream.headers.other).toBe('kept');
  });

  it('answers 401 "No API key found in request" with a Key challenge when there is no key', async () => {
    const r = await runPlugin(keyAuth, { realm: 'api' }, { ...world });
    expect(r.response.status).toBe(401);
    expect(JSON.parse(r.response.body.toString()).message).toBe('No API key found in request');
    expect(r.response.headers['www-authenticate']).toBe('Key realm="api"');
    expect(r.consumer).toBeNull();
  });

  it('answers 401 "Invalid authentication credentials" for an unknown key', async () => {
    const r = await runPlugin(keyAuth, {}, { ...world, headers: { apikey: 'secret-key-2' } });
    expect(r.response.status).toBe(401);
    expect(JSON.parse(r.response.body.toString()).message).toBe('Invalid authentication credentials');
  });

  it('ignores the query string with key_in_query false', async () => {
    const r = await runPlugin(keyAuth, { key_in_query: false }, { ...world, path: '/?apikey=secret-key-1' });
    expect(r.response.status).toBe(401);
  });

  it('continues as the anonymous consumer (by username) instead of 401', async () => {
    const r = await runPlugin(keyAuth, { anonymous: 'anonymous-user' }, { ...world, headers: { apikey: 'wrong' } });
    expect(r.answered).toBeNull();
    expect(r.consumer?.id).toBe('c-anon');
    expect(r.anonymous).toBe(true);
    expect(r.credentialId).toBeNull();
  });

  it('answers 500 when the anonymous consumer does not exist', async () => {
    const r = await runPlugin(keyAuth, { anonymous: 'nobody' }, { ...world });
    expect(r.response.status).toBe(500);
  });

  it('skips OPTIONS preflights with run_on_preflight false', async () => {
    const r = await runPlugin(keyAuth, { run_on_preflight: false }, { ...world, method: 'OPTIONS' });
    expect(r.answered).toBeNull();
    expect(r.consumer).toBeNull();
  });

  it('refuses key_in_body (not supported) and an empty key_names list', async () => {
    await expect(runPlugin(keyAuth, { key_in_body: true })).rejects.toThrow(/invalid config for key-auth: \/key_in_body/);
    await expect(runPlugin(keyAuth, { key_names: [] })).rejects.toThrow(/invalid config for key-auth: \/key_names/);
  });
});
