import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';
import { GATEWAY_CLIENT, MACHINE_CLIENT, newKey, OPAQUE, startIdp, type Idp } from '../helpers/oidc.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let idp: Idp;
let up: Upstream;
let gw: GatewayProcess;
const basic = 'Basic ' + Buffer.from(`${GATEWAY_CLIENT.id}:${GATEWAY_CLIENT.secret}`).toString('base64');

beforeAll(async () => {
  const port = await freePort();
  idp = await startIdp(port, { redirectUris: ['http://127.0.0.1/unused'], key: await newKey('k1') });
  up = await startUpstream();
  gw = await startGateway(`
_format_version: "3.0"
services:
  - name: api
    url: ${up.url}
    routes:
      - name: introspected
        paths: [/introspected]
        plugins:
          - name: oauth2-introspection
            config:
              introspection_url: ${idp.issuer}/token/introspection
              authorization_value: "${basic}"
              token_type_hint: access_token
              hide_credentials: true
              consumer_by: client_id
              custom_claims_forward: [client_id]
      - name: anon
        paths: [/anon]
        plugins:
          - name: oauth2-introspection
            config:
              introspection_url: ${idp.issuer}/token/introspection
              authorization_value: "${basic}"
              anonymous: guest
      - name: down
        paths: [/down]
        plugins:
          - name: oauth2-introspection
            config: { introspection_url: "http://127.0.0.1:${await freePort()}/introspect", authorization_value: "Basic eDp5", timeout: 2000 }
consumers:
  - username: machine-user
    custom_id: ${MACHINE_CLIENT.id}
  - username: guest
`);
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
  await idp?.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { headers });

describe('oauth2-introspection (RFC 7662 against a real provider)', () => {
  it('401 with a Bearer challenge when the token is missing', async () => {
    const r = await get('/introspected');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="sluice"');
    expect(await r.json()).toEqual({ error: 'invalid_request', error_description: 'The access token is missing' });
  });

  it('active token: proxied with X-Credential-* and the consumer (consumer_by client_id → custom_id), credential hidden', async () => {
    const { access_token } = await idp.clientCredentials(MACHINE_CLIENT, { resource: OPAQUE, scope: 'read' });
    const before = idp.hits.get('/token/introspection') ?? 0;
    const r = await get('/introspected/x', { authorization: `Bearer ${access_token}`, 'x-credential-sub': 'forged' });
    expect(r.status).toBe(200);
    const seen: Json = await r.json();
    expect(seen.headers['x-credential-client-id']).toBe(MACHINE_CLIENT.id);
    expect(seen.headers['x-credential-scope']).toBe('read');
    expect(seen.headers['x-credential-iss']).toBe(idp.issuer);
    expect(seen.headers['x-credential-sub']).toBeUndefined();
    expect(seen.headers['x-consumer-username']).toBe('machine-user');
    expect(seen.headers.authorization).toBeUndefined();
    // Cached by ttl: the same token again makes no introspection call.
    expect((await get('/introspected', { authorization: `Bearer ${access_token}` })).status).toBe(200);
    expect((await get('/introspected', { authorization: `Bearer ${access_token}` })).status).toBe(200);
    expect(idp.hits.get('/token/introspection')).toBe(before + 1);
  });

  it('token in the access_token query parameter, removed upstream with hide_credentials', async () => {
    const { access_token } = await idp.clientCredentials(MACHINE_CLIENT, { resource: OPAQUE });
    const seen: Json = await (await get(`/introspected/q?access_token=${access_token}&keep=1`)).json();
    expect(seen.url).toBe('/q?keep=1');
  });

  it('inactive token: 401 invalid_token (and cached too)', async () => {
    const before = idp.hits.get('/token/introspection') ?? 0;
    for (let i = 0; i < 2; i++) {
      const r = await get('/introspected', { authorization: 'Bearer not-a-real-token' });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="sluice", error="invalid_token", error_description="The access token is invalid or has expired"');
    }
    expect(idp.hits.get('/token/introspection')).toBe(before + 1);
  });

  it('anonymous fallback on an inactive token', async () => {
    const seen: Json = await (await get('/anon', { authorization: 'Bearer nope' })).json();
    expect(seen.headers['x-anonymous-consumer']).toBe('true');
    expect(seen.headers['x-consumer-username']).toBe('guest');
  });

  it('fails closed when the introspection endpoint is unreachable', async () => {
    const r = await get('/down', { authorization: 'Bearer whatever' });
    expect(r.status).toBe(502);
  });

  it('never logs a token or the authorization value', () => {
    const text = gw.lines.join('\n');
    expect(text).not.toContain(basic.slice(6));
    expect(text).not.toContain('not-a-real-token');
    expect(text).not.toContain('access_token=');
  });
});
