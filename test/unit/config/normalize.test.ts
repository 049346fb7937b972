import { describe, expect, it } from 'vitest';
import { redactConfig } from '../../../src/config/index.js';
import { stableUuid } from '../../../src/config/entities.js';
import { config, y } from './helpers.js';

const V = '_format_version: "3.0"';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const FULL = y(
  V,
  'services:',
  '  - name: users',
  '    url: https://users.internal/v1',
  '    routes:',
  '      - name: list',
  '        paths: [/users]',
  '        methods: [get, Post]',
  '        hosts: [API.Example.com]',
  '        headers: {X-Version: ["2"], Accept: application/json}',
  '    plugins:',
  '      - name: acme',
  '  - name: legacy',
  '    host: old.internal',
  'routes:',
  '  - name: top',
  '    service: legacy',
  '    paths: [/old]',
  'consumers:',
  '  - username: alice',
  '    keyauth_credentials: [{key: k1}]',
  '    basicauth_credentials: [{username: alice, password: pw}]',
  '    jwt_secrets: [{key: iss-a, secret: js}]',
  '    hmacauth_credentials: [{username: alice-h, secret: hs}]',
  '    acls: [{group: admins}]',
  'upstreams:',
  '  - name: legacy-up',
  '    targets: [{target: "10.0.0.1:8080", weight: 95}, {target: "10.0.0.2"}]',
  'targets:',
  '  - {target: "[::1]:9000", upstream: legacy-up}',
  'certificates:',
  '  - {cert: CERT, key: KEY, snis: [A.example, {name: b.example}]}',
);

describe('normalize: Config', () => {
  // Plugins are not registered yet, so a config with plugins does not load; FULL without them:
  const text = FULL.replace('    plugins:\n      - name: acme\n', '');
  const c = config(text);

  it('fills service defaults and splits url (default port by scheme)', () => {
    expect(c.services[0]).toMatchObject({ name: 'users', protocol: 'https', host: 'users.internal', port: 443, path: '/v1', connect_timeout: 60000, read_timeout: 60000, write_timeout: 60000, retries: 5, enabled: true, tags: [] });
    expect(c.services[1]).toMatchObject({ name: 'legacy', protocol: 'http', host: 'old.internal', port: 80, path: null });
  });

  it.each([
    ['http://a', { protocol: 'http', host: 'a', port: 80, path: null }],
    ['http://a/', { protocol: 'http', host: 'a', port: 80, path: '/' }],
    ['wss://a:9443/ws', { protocol: 'wss', host: 'a', port: 9443, path: '/ws' }],
    ['ws://A.Example', { protocol: 'ws', host: 'a.example', port: 80, path: null }],
  ])('url %s', (url, expected) => {
    expect(config(y(V, 'services:', `  - {name: a, url: "${url}"}`)).services[0]).toMatchObject(expected);
  });

  it('fills route defaults, upper-cases methods, lower-cases hosts and header names', () => {
    expect(c.routes[0]).toMatchObject({
      name: 'list', service: c.services[0]!.id, paths: ['/users'], methods: ['GET', 'POST'], hosts: ['api.example.com'],
      headers: { 'x-version': ['2'], accept: ['application/json'] }, protocols: ['http', 'https'], strip_path: true, preserve_host: false,
      regex_priority: 0, path_handling: 'v0', https_redirect_status_code: 426, request_buffering: true, response_buffering: true, order: 0,
    });
  });

  it('orders routes: nested routes in order of appearance, then top-level routes', () => {
    expect(c.routes.map((r) => [r.name, r.order, r.service])).toEqual([['list', 0, c.services[0]!.id], ['top', 1, c.services[1]!.id]]);
  });

  it('links credentials to their consumer', () => {
    const id = c.consumers[0]!.id;
    expect(c.keyauth_credentials).toMatchObject([{ consumer: id, key: 'k1' }]);
    expect(c.basicauth_credentials).toMatchObject([{ consumer: id, username: 'alice', password: 'pw' }]);
    expect(c.jwt_secrets).toMatchObject([{ consumer: id, key: 'iss-a', secret: 'js', algorithm: 'HS256', rsa_public_key: null }]);
    expect(c.hmacauth_credentials).toMatchObject([{ consumer: id, username: 'alice-h', secret: 'hs' }]);
    expect(c.acls).toMatchObject([{ consumer: id, group: 'admins' }]);
  });

  it('fills upstream defaults (Kong\'s healthcheck defaults) and attaches nested and top-level targets', () => {
    const u = c.upstreams[0]!;
    expect(u).toMatchObject({ algorithm: 'round-robin', hash_on: 'none', hash_fallback: 'none', hash_on_cookie_path: '/', slots: 10000 });
    expect(u.healthchecks.active).toMatchObject({ type: 'http', http_path: '/', timeout: 1, concurrency: 10, healthy: { interval: 0, successes: 0, http_statuses: [200, 302] } });
    expect(u.healthchecks.passive.unhealthy).toEqual({ http_failures: 0, tcp_failures: 0, timeouts: 0, http_statuses: [429, 500, 503] });
    expect(u.targets.map((t) => [t.target, t.host, t.port, t.weight])).toEqual([
      ['10.0.0.1:8080', '10.0.0.1', 8080, 95],
      ['10.0.0.2:8000', '10.0.0.2', 8000, 100],
      ['[::1]:9000', '::1', 9000, 100],
    ]);
  });

  it('lower-cases certificate snis, objects or strings', () => {
    expect(c.certificates[0]).toMatchObject({ cert: 'CERT', key: 'KEY', snis: ['a.example', 'b.example'] });
  });

  it('gives every entity a deterministic UUID, stable across loads', () => {
    const again = config(text);
    const ids = (x: typeof c): string[] => [x.services, x.routes, x.consumers, x.keyauth_credentials, x.acls, x.upstreams, x.certificates].flat().map((e) => e.id);
    expect(ids(again)).toEqual(ids(c));
    for (const id of ids(c)) expect(id).toMatch(UUID);
    expect(new Set(ids(c)).size).toBe(ids(c).length);
    expect(c.services[0]!.id).toBe(stableUuid('service:users'));
  });

  it('keeps an explicit id', () => {
    expect(config(y(V, 'services: [{name: a, host: h, id: 6d3a1f5e-5c1c-4f2a-9a59-1c6a3c1b2e7d}]')).services[0]!.id).toBe('6d3a1f5e-5c1c-4f2a-9a59-1c6a3c1b2e7d');
  });

  it('records positions', () => {
    expect(c.services[1]!.pos).toEqual({ file: 'gw.yaml', line: 11, column: 5 });
    expect(c.routes[1]!.pos).toEqual({ file: 'gw.yaml', line: 14, column: 5 });
  });

  it('hashes what the config means: same for a reformatted file, different for a changed value', () => {
    expect(config(text.replace('services:', '# a comment\nservices:')).hash).toBe(c.hash);
    expect(config(text.replace('key: k1', 'key: k2')).hash).not.toBe(c.hash);
    expect(c.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lists secret paths: credentials and certificate keys', () => {
    expect(c.secrets).toEqual(expect.arrayContaining([
      ['keyauth_credentials', 0, 'key'], ['basicauth_credentials', 0, 'password'], ['jwt_secrets', 0, 'secret'],
      ['hmacauth_credentials', 0, 'secret'], ['certificates', 0, 'key'],
    ]));
    expect(c.secrets).toHaveLength(5);
  });

  it('redactConfig replaces every secret by <redacted> in a copy', () => {
    const r = redactConfig(c) as typeof c;
    expect(r.keyauth_credentials[0]!.key).toBe('<redacted>');
    expect(r.basicauth_credentials[0]!.password).toBe('<redacted>');
    expect(r.certificates[0]!.key).toBe('<redacted>');
    expect(r.basicauth_credentials[0]!.username).toBe('alice');
    expect(c.keyauth_credentials[0]!.key).toBe('k1');
    expect(JSON.stringify(r)).not.toMatch(/"(k1|pw|js|hs|KEY)"/);
  });
});
