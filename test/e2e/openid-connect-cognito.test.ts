import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Provider from 'oidc-provider';
import { freePort, startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';
import { newKey } from '../helpers/oidc.js';

/**
 * The Kong + Amazon Cognito walkthroughs (issue 19 items 1, 3, 4), against a real provider shaped
 * like a Cognito user pool: the issuer has the pool in its path, the resource server scope is
 * `kongresource/scope1`, app clients authenticate with client_secret_basic, access tokens carry
 * `cognito:groups`, `client_id` and `scope` and no `aud`. The plugin config is the walkthrough's:
 * the discovery URL and the scope, no client_id.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const POOL = 'us-west-1_AbCdEf123';
const APP = { id: 'app-client-1', secret: 'app-client-secret-0123456789abcdef' };
const READER = { id: 'reader-client', secret: 'reader-client-secret-0123456789ab' };
const basic = (id: string, secret: string) => 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64');

let idpServer: http.Server;
let issuer: string;
let up: Upstream;
let gw: GatewayProcess;
const tokenCalls: string[] = [];

async function startCognito(port: number): Promise<void> {
  issuer = `http://127.0.0.1:${port}/${POOL}`;
  const key = await newKey('cognito-1');
  const provider = new Provider(issuer, {
    clients: [
      { client_id: APP.id, client_secret: APP.secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic', scope: 'kongresource/scope1 kongresource/scope2' },
      { client_id: READER.id, client_secret: READER.secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic', scope: 'kongresource/scope1 kongresource/scope2' },
    ],
    jwks: { keys: [key] },
    ttl: { ClientCredentials: 3600 },
    scopes: ['openid', 'kongresource/scope1', 'kongresource/scope2'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => 'https://kongresource',
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({ scope: 'kongresource/scope1 kongresource/scope2', accessTokenFormat: 'jwt', accessTokenTTL: 3600, jwt: { sign: { alg: 'RS256' } } }),
      },
    },
    // Cognito's access token claims: the app client's groups, its id.
    extraTokenClaims: async (_ctx: unknown, token: { clientId?: string }) => ({
      'cognito:groups': token.clientId === APP.id ? ['admins', 'ops'] : ['readers'],
      client_id: token.clientId,
      token_use: 'access',
    }),
  } as never);
  const callback = provider.callback();
  idpServer = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(`/${POOL}/`)) {
      res.statusCode = 404;
      return res.end();
    }
    if (url.includes('/token')) tokenCalls.push(req.headers.authorization ?? '');
    // Mounted under the pool, as Cognito's issuer is: oidc-provider reads the mount from originalUrl.
    (req as http.IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = url.slice(POOL.length + 1);
    callback(req, res);
  });
  await new Promise<void>((r) => idpServer.listen(port, '127.0.0.1', r));
}

beforeAll(async () => {
  await startCognito(await freePort());
  up = await startUpstream();
  const plugin = (extra = '') => `
        plugins:
          - name: openid-connect
            config:
              issuer: ${issuer}/.well-known/openid-configuration
              scopes: [kongresource/scope1]${extra}`;
  gw = await startGateway(`
_format_version: "3.0"
services:
  - name: api
    url: ${up.url}
    routes:
      - name: walkthrough
        paths: [/walkthrough]${plugin()}
      - name: blank
        paths: [/blank]${plugin(`
              auth_methods: []
              client_id: []
              client_secret: []`)}
      - name: null-methods
        paths: [/null-methods]${plugin(`
              auth_methods: null`)}
      - name: admins
        paths: [/admins]${plugin(`
              groups_claim: ["cognito:groups"]
              groups_required: [admins]`)}
      - name: scoped
        paths: [/scoped]${plugin(`
              scopes_required: [kongresource/scope1]`)}
      - name: scoped2
        paths: [/scoped2]${plugin(`
              scopes_required: [kongresource/scope2, "kongresource/scope1 kongresource/scope3"]`)}
      - name: roles
        paths: [/roles]${plugin(`
              roles_claim: ["cognito:groups"]
              roles_required: ["admins ops"]`)}
      - name: acl-groups
        paths: [/acl-groups]${plugin(`
              authenticated_groups_claim: ["cognito:groups"]`)}
          - name: acl
            config:
              allow: [admins]
      - name: messages
        paths: [/messages]${plugin(`
              groups_claim: ["cognito:groups"]
              groups_required: [nobody]
              unauthorized_error_message: "Who are you?"
              forbidden_error_message: "Not for you"
              display_errors: true`)}
      - name: params
        paths: [/params]${plugin(`
              client_credentials_param_type: [query]
              bearer_token_param_type: [query]`)}
`);
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
  idpServer?.closeAllConnections();
  await new Promise((r) => idpServer?.close(r));
});

const get = async (path: string, authorization?: string) => {
  const r = await fetch(gw.url + path, { headers: authorization === undefined ? {} : { authorization } });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, json: (() => { try { return JSON.parse(text) as Json; } catch { return null; } })() };
};
const claimsOf = (authorization: string): Json => JSON.parse(Buffer.from(authorization.split(' ')[1]!.split('.')[1]!, 'base64url').toString());

describe('openid-connect: the Kong + Amazon Cognito walkthrough', () => {
  it('wrong client credentials → 401 with the issuer host as realm and invalid_token', async () => {
    const r = await get('/walkthrough', basic('wrong', 'wrong'));
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="127.0.0.1", error="invalid_token"');
    expect(r.json.message).toBe('Unauthorized');
  });

  it('the app client id and secret → 200, the access token upstream as Authorization: Bearer', async () => {
    const before = tokenCalls.length;
    const r = await get('/walkthrough', basic(APP.id, APP.secret));
    expect(r.status).toBe(200);
    const auth: string = r.json.headers.authorization;
    expect(auth).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = claimsOf(auth);
    expect(claims.iss).toBe(issuer);
    expect(claims.scope).toBe('kongresource/scope1');
    expect(claims['cognito:groups']).toEqual(['admins', 'ops']);
    // The exchange used the client's own credentials, client_secret_basic, with the walkthrough's scope.
    expect(tokenCalls.length).toBe(before + 1);
    expect(tokenCalls[tokenCalls.length - 1]).toBe(basic(APP.id, APP.secret));
  });

  it('no credentials at all → 401 with the challenge (not 500: without client_id there is no login to start)', async () => {
    const r = await get('/walkthrough');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="127.0.0.1"');
  });

  it('a token obtained from the pool is accepted as a bearer token too', async () => {
    const first = await get('/walkthrough', basic(APP.id, APP.secret));
    const r = await get('/walkthrough', first.json.headers.authorization);
    expect(r.status).toBe(200);
  });
});

describe('openid-connect: blank values as Kong', () => {
  it('auth_methods: [] and null enable every flow; client_id: [] and client_secret: [] mean none', async () => {
    for (const path of ['/blank', '/null-methods']) {
      expect((await get(path, basic(APP.id, APP.secret))).status).toBe(200);
      expect((await get(path, basic('wrong', 'wrong'))).status).toBe(401);
      expect((await get(path)).status).toBe(401);
    }
  });
});

describe('openid-connect: authorization from claims', () => {
  it('groups_claim cognito:groups with groups_required: a member passes, others get 403 insufficient_scope', async () => {
    expect((await get('/admins', basic(APP.id, APP.secret))).status).toBe(200);
    const r = await get('/admins', basic(READER.id, READER.secret));
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="127.0.0.1", error="insufficient_scope"');
  });

  it('scopes_required and roles_required (AND within an entry) → 403 insufficient_scope when missing', async () => {
    expect((await get('/scoped', basic(READER.id, READER.secret))).status).toBe(200);
    // The token has kongresource/scope1 only: neither scope2 nor the pair scope1 + scope3.
    const s = await get('/scoped2', basic(READER.id, READER.secret));
    expect(s.status).toBe(403);
    expect(s.headers.get('www-authenticate')).toBe('Bearer realm="127.0.0.1", error="insufficient_scope", scope="kongresource/scope2 kongresource/scope1 kongresource/scope3"');
    expect((await get('/roles', basic(APP.id, APP.secret))).status).toBe(200);
    const r = await get('/roles', basic(READER.id, READER.secret));
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('authenticated_groups_claim feeds acl (no consumer needed)', async () => {
    const ok = await get('/acl-groups', basic(APP.id, APP.secret));
    expect(ok.status).toBe(200);
    expect(ok.json.headers['x-authenticated-groups']).toBe('admins, ops');
    const r = await get('/acl-groups', basic(READER.id, READER.secret));
    expect(r.status).toBe(403);
    expect(r.json.message).toBe('You cannot consume this service');
  });

  it('unauthorized_error_message and forbidden_error_message; display_errors adds the description', async () => {
    const u = await get('/messages', basic('wrong', 'wrong'));
    expect(u.status).toBe(401);
    expect(u.json.message).toBe('Who are you?');
    expect(u.headers.get('www-authenticate')).toBe('Bearer realm="127.0.0.1", error="invalid_token", error_description="The client credentials are invalid"');
    const f = await get('/messages', basic(APP.id, APP.secret));
    expect(f.status).toBe(403);
    expect(f.json.message).toBe('Not for you');
  });

  it('client_credentials_param_type / bearer_token_param_type: query arguments, and not the header when not listed', async () => {
    const q = new URLSearchParams({ client_id: APP.id, client_secret: APP.secret });
    const ok = await get(`/params?${q}`);
    expect(ok.status).toBe(200);
    expect((await get('/params', basic(APP.id, APP.secret))).status).toBe(401);
    const token = (ok.json.headers.authorization as string).slice(7);
    expect((await get(`/params?access_token=${token}`)).status).toBe(200);
    expect((await get('/params', `Bearer ${token}`)).status).toBe(401);
  });
});
