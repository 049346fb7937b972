import { describe, expect, it } from 'vitest';
import { loadConfigString } from '../../../src/config/index.js';
import type { Config, PluginInstance } from '../../../src/config/types.js';
import { chainText, makeScrub, pluginChain, table } from '../../../src/cli/output.js';
import { diffConfigs } from '../../../src/snapshot/diff.js';
import { compile } from '../../../src/snapshot/compile.js';
import { PoolRegistry } from '../../../src/upstream/pool.js';

const y = (...lines: string[]): string => lines.join('\n') + '\n';

function load(text: string): Config {
  const r = loadConfigString(text, 'gw.yaml', { env: {} });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.config;
}

const BASE = y(
  '_format_version: "3.0"',
  'services:',
  '  - name: a',
  '    url: http://a.internal',
  '    routes:',
  '      - name: ra',
  '        paths: [/a]',
  '      - name: ra2',
  '        paths: [/a2]',
  '  - name: b',
  '    url: http://b.internal',
  '    routes:',
  '      - name: rb',
  '        paths: [/b]',
  'consumers:',
  '  - username: alice',
);

/** Plugin instances added by hand: no plugin is implemented yet, so none validates from YAML. */
function withPlugins(config: Config, specs: Array<Partial<PluginInstance> & { name: string }>): Config {
  const id = (kind: 'services' | 'routes', name: string): string => config[kind].find((x) => x.name === name)!.id;
  config.plugins = specs.map((s, i) => ({
    id: `p${i}`, enabled: true, config: {}, service: null, route: null, consumer: null, consumer_group: null,
    protocols: ['http', 'https', 'ws', 'wss'], tags: [], order: i, pos: { file: 'gw.yaml', line: 1, column: 1 },
    ...s,
    ...(s.service ? { service: id('services', s.service) } : {}),
    ...(s.route ? { route: id('routes', s.route) } : {}),
    ...(s.consumer ? { consumer: config.consumers.find((c) => c.username === s.consumer)!.id } : {}),
  }));
  return config;
}

describe('pluginChain (the compiled chain, as the proxy runs it)', () => {
  const yaml = BASE.replace('consumers:\n  - username: alice\n', '') + y(
    'consumers:',
    '  - username: alice',
    '    keyauth_credentials: [{ key: k1 }]',
    'plugins:',
    '  - name: request-termination',
    '    config: { status_code: 503 }',
    '  - name: request-termination',
    '    service: a',
    '    config: { status_code: 502 }',
    '  - name: request-termination',
    '    route: ra',
    '    config: { status_code: 501 }',
    '  - name: key-auth',
    '    service: a',
    '  - name: key-auth',
    '    route: rb',
    '    enabled: false',
    '  - name: request-termination',
    '    consumer: alice',
    '    config: { status_code: 403 }',
  );
  const config = load(yaml);
  const snapshot = compile(config, { pools: new PoolRegistry() });
  const chainOf = (n: string) => snapshot.routes[snapshot.router.ordered().findIndex((r) => r.name === n)]!.chain;

  it.each([
    ['ra', 'key-auth, request-termination, request-termination (consumer alice)', ['service', 'route', 'consumer'], 501],
    ['ra2', 'key-auth, request-termination, request-termination (consumer alice)', ['service', 'service', 'consumer'], 502],
    ['rb', 'request-termination, request-termination (consumer alice)', ['global', 'consumer'], 503],
  ])('route %s: most specific configuration per plugin, Kong priority order', (name, text, scopes, status) => {
    const chain = pluginChain(config, chainOf(name));
    expect(chainText(chain)).toBe(text);
    expect(chain.map((c) => c.scope)).toEqual(scopes);
    expect(chain.find((c) => c.name === 'request-termination' && c.consumer === null)!.plugin.config.status_code).toBe(status);
  });

  it('empty chain prints -', () => {
    const plain = load(BASE);
    const snap = compile(plain, { pools: new PoolRegistry() });
    expect(chainText(pluginChain(plain, snap.routes[0]!.chain))).toBe('-');
  });
});

describe('plugin secrets in diff', () => {
  it('an x-secret plugin field shows <changed>', () => {
    const a = withPlugins(load(BASE), [{ name: 'openid-connect', config: { issuer: 'https://idp', client_secret: 'very-secret-1' } }]);
    const b = withPlugins(load(BASE), [{ name: 'openid-connect', config: { issuer: 'https://idp2', client_secret: 'very-secret-2' } }]);
    a.secrets.push(['plugins', 0, 'config', 'client_secret']);
    b.secrets.push(['plugins', 0, 'config', 'client_secret']);
    const d = diffConfigs(a, b);
    expect(d.changes).toEqual([
      expect.objectContaining({
        kind: 'plugins', key: 'openid-connect', label: 'plugin openid-connect (global)', change: 'changed',
        fields: [{ field: 'config.client_secret', secret: true }, { field: 'config.issuer', secret: false, old: 'https://idp', new: 'https://idp2' }],
      }),
    ]);
    expect(JSON.stringify(d)).not.toContain('very-secret');
  });

  it('plugins are matched by name and scope, references by name', () => {
    const a = withPlugins(load(BASE), [{ name: 'acl', route: 'ra' }]);
    const b = withPlugins(load(BASE), [{ name: 'acl', route: 'rb' }]);
    expect(diffConfigs(a, b).changes.map((c) => `${c.change} ${c.label}`)).toEqual(['removed plugin acl (route ra)', 'added plugin acl (route rb)']);
  });
});

describe('table', () => {
  it('aligns columns by code points and trims trailing spaces', () => {
    expect(table([['#', 'NAME', 'X'], ['10', 'a → b', ''], ['2', 'c', 'y']])).toBe('#   NAME   X\n10  a → b\n2   c      y\n');
  });
});

describe('makeScrub', () => {
  it('removes every secret value, plain and JSON-escaped', () => {
    const c = load(y(BASE, 'keyauth_credentials:', '  - consumer: alice', '    key: k"ey-123'));
    const scrub = makeScrub(c);
    expect(scrub('a k"ey-123 b')).toBe('a <redacted> b');
    expect(scrub(JSON.stringify({ v: 'k"ey-123' }))).toBe('{"v":"<redacted>"}');
  });
});
