import { describe, expect, it } from 'vitest';
import { loadConfigString } from '../../../src/config/index.js';
import type { Config, PluginInstance } from '../../../src/config/types.js';
import { chainText, makeScrub, pluginChain, table } from '../../../src/cli/output.js';
import { diffConfigs } from '../../../src/snapshot/diff.js';

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

describe('pluginChain', () => {
  const config = withPlugins(load(BASE), [
    { name: 'rate-limiting', config: { minute: 100 } }, // global
    { name: 'rate-limiting', service: 'a', config: { minute: 10 } },
    { name: 'rate-limiting', route: 'ra', config: { minute: 1 } },
    { name: 'key-auth', service: 'a' },
    { name: 'cors' },
    { name: 'acl', route: 'rb' },
    { name: 'prometheus', enabled: false },
    { name: 'request-termination', route: 'rb', protocols: ['ws'] },
    { name: 'rate-limiting', consumer: 'alice', config: { minute: 1000 } },
  ]);
  const route = (n: string) => config.routes.find((r) => r.name === n)!;

  it.each([
    ['ra', 'cors, key-auth, rate-limiting, rate-limiting (consumer alice)', ['global', 'service', 'route', 'global']],
    ['ra2', 'cors, key-auth, rate-limiting, rate-limiting (consumer alice)', ['global', 'service', 'service', 'global']],
    ['rb', 'cors, acl, rate-limiting, rate-limiting (consumer alice)', ['global', 'route', 'global', 'global']],
  ])('route %s: most specific configuration per plugin, Kong priority order', (name, text, scopes) => {
    const chain = pluginChain(config, route(name));
    expect(chainText(chain)).toBe(text);
    expect(chain.map((c) => c.scope)).toEqual(scopes);
  });

  it('empty chain prints -', () => {
    expect(chainText(pluginChain(load(BASE), load(BASE).routes[0]!))).toBe('-');
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
