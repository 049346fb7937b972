/** oauth2-introspection through the plugin harness, against a real RFC 7662 endpoint on 127.0.0.1. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPluginRunner, runPlugin, type FakeRequest } from '../harness.js';
import { oauth2Introspection } from './index.js';

let server: Server;
let url = '';
let calls: Array<{ headers: IncomingHttpHeaders; form: URLSearchParams }> = [];
const exp = Math.floor(Date.now() / 1000) + 3600;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      calls.push({ headers: req.headers, form });
      res.setHeader('content-type', 'application/json');
      if (req.headers.authorization !== 'Basic Z3c6cHc=') {
        res.statusCode = 401;
        return res.end('{"error":"invalid_client"}');
      }
      const token = form.get('token');
      if (token === 'good') return res.end(JSON.stringify({ active: true, username: 'alice', client_id: 'app-1', scope: 'read write', exp, tenant: 'acme' }));
      if (token === 'broken') return res.end('not json');
      res.end('{"active":false}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  calls = [];
});

const conf = (extra: Record<string, unknown> = {}) => ({ introspection_url: url, authorization_value: 'Basic Z3c6cHc=', ...extra });
const world: Pick<FakeRequest, 'consumers'> = { consumers: [{ id: 'c-alice', username: 'alice', custom_id: 'app-1' }, { id: 'c-anon', username: 'anon' }] };
const bearer = (token: string): FakeRequest => ({ ...world, headers: { authorization: `Bearer ${token}` } });

describe('oauth2-introspection (harness)', () => {
  it('an active token: the claims go upstream as X-Credential-*, the consumer is found by username', async () => {
    const r = await runPlugin(oauth2Introspection, conf({ custom_claims_forward: ['tenant'], token_type_hint: 'access_token' }), bearer('good'));
    expect(r.answered).toBeNull();
    expect(r.upstream.headers).toMatchObject({ 'x-credential-username': 'alice', 'x-credential-client-id': 'app-1', 'x-credential-scope': 'read write', 'x-credential-exp': String(exp), 'x-credential-tenant': 'acme' });
    expect(r.consumer?.id).toBe('c-alice');
    expect(r.credentialId).toBe('app-1');
    expect(calls[0]!.form.get('token')).toBe('good');
    expect(calls[0]!.form.get('token_type_hint')).toBe('access_token');
    expect(r.upstream.headers.authorization).toBe('Bearer good');
  });

  it('an inactive token is 401 invalid_token with an RFC 6750 challenge', async () => {
    const r = await runPlugin(oauth2Introspection, conf(), bearer('revoked'));
    expect(r.response.status).toBe(401);
    expect(JSON.parse(r.response.body.toString())).toEqual({ error: 'invalid_token', error_description: 'The access token is invalid or has expired' });
    expect(r.response.headers['www-authenticate']).toMatch(/^Bearer realm="sluice", error="invalid_token"/);
  });

  it('no token is 401 invalid_request; with anonymous the request continues as that consumer', async () => {
    const r = await runPlugin(oauth2Introspection, conf(), { ...world });
    expect(r.response.status).toBe(401);
    expect(JSON.parse(r.response.body.toString()).error).toBe('invalid_request');
    expect(calls).toHaveLength(0);
    const anon = await runPlugin(oauth2Introspection, conf({ anonymous: 'anon' }), { ...world });
    expect(anon.answered).toBeNull();
    expect(anon.anonymous).toBe(true);
    expect(anon.consumer?.id).toBe('c-anon');
  });

  it('fails closed with 502 when the endpoint does not answer a usable result', async () => {
    const r = await runPlugin(oauth2Introspection, conf(), bearer('broken'));
    expect(r.response.status).toBe(502);
    const badAuth = await runPlugin(oauth2Introspection, conf({ authorization_value: 'Basic bm9wZQ==' }), bearer('good'));
    expect(badAuth.response.status).toBe(502);
  });

  it('caches a result for ttl; a token in the query is hidden from the upstream with hide_credentials', async () => {
    const runner = createPluginRunner(oauth2Introspection, conf({ ttl: 60, hide_credentials: true, consumer_by: 'client_id' }), world);
    const a = await runner.run({ path: '/r?access_token=good&keep=1' });
    const b = await runner.run({ path: '/r?access_token=good&keep=1' });
    expect(calls).toHaveLength(1);
    for (const r of [a, b]) {
      expect(r.answered).toBeNull();
      expect(r.consumer?.id).toBe('c-alice'); // custom_id app-1 = client_id
      expect(r.upstream.query).toBe('keep=1');
    }
  });

  it('requires introspection_url and authorization_value', async () => {
    await expect(runPlugin(oauth2Introspection, { introspection_url: url })).rejects.toThrow(/invalid config for oauth2-introspection: .*authorization_value/);
    await expect(runPlugin(oauth2Introspection, conf({ consumer_by: 'email' }))).rejects.toThrow(/invalid config for oauth2-introspection: \/consumer_by/);
  });
});
