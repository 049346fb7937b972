import { describe, expect, it } from 'vitest';
import { loadConfigString } from '../../../src/config/index.js';
import type { Config } from '../../../src/config/types.js';
import { diffConfigs, secretValues, type EntityChange } from '../../../src/snapshot/diff.js';
import { renderDiff } from '../../../src/cli/diff.js';

const y = (...lines: string[]): string => lines.join('\n') + '\n';

function load(text: string, env: NodeJS.ProcessEnv = {}): Config {
  const r = loadConfigString(text, 'gw.yaml', { env });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('\n'));
  return r.config;
}

/** A change as one line: `~ route r: paths ["/a"] → ["/a","/b"]; strip_path <changed>`. */
function summarize(c: EntityChange): string {
  const mark = { added: '+', removed: '-', changed: '~' }[c.change];
  const fields = c.fields.map((f) => (f.secret ? `${f.field} <changed>` : `${f.field} ${JSON.stringify(f.old)} → ${JSON.stringify(f.new)}`));
  return `${mark} ${c.label}${fields.length > 0 ? ': ' + fields.join('; ') : ''}`;
}

const BASE = y(
  '_format_version: "3.0"',
  'services:',
  '  - name: orders',
  '    url: http://orders.internal:8080/v1',
  '    routes:',
  '      - name: list-orders',
  '        paths: [/orders]',
  '        methods: [GET]',
  'consumers:',
  '  - username: alice',
  '    keyauth_credentials:',
  '      - key: alice-key-1',
  '    basicauth_credentials:',
  '      - username: alice',
  '        password: alice-password-1',
  '    acls:',
  '      - group: admins',
  'upstreams:',
  '  - name: pool',
  '    targets:',
  '      - target: 10.0.0.1:80',
  '        weight: 95',
  '      - target: 10.0.0.2:80',
  '        weight: 5',
);

interface Case {
  name: string;
  old: string;
  new: string;
  oldEnv?: NodeJS.ProcessEnv;
  newEnv?: NodeJS.ProcessEnv;
  expected: string[];
}

const CASES: Case[] = [
  { name: 'identical files', old: BASE, new: BASE, expected: [] },
  {
    name: 'reformatting and comments change nothing',
    old: BASE,
    new: '# a comment\n' + BASE.replace('paths: [/orders]', 'paths:\n          - /orders'),
    expected: [],
  },
  {
    name: 'a changed service field',
    old: BASE,
    new: BASE.replace('orders.internal:8080/v1', 'orders.internal:9090/v1'),
    expected: ['~ service orders: port 8080 → 9090'],
  },
  {
    name: 'added and removed routes, by name',
    old: BASE,
    new: BASE.replace('      - name: list-orders', '      - name: all-orders'),
    expected: ['- route list-orders', '+ route all-orders'],
  },
  {
    name: 'a route field; arrays compare whole',
    old: BASE,
    new: BASE.replace('methods: [GET]', 'methods: [GET, HEAD]\n        strip_path: false'),
    expected: ['~ route list-orders: methods ["GET"] → ["GET","HEAD"]; strip_path true → false'],
  },
  {
    name: 'renaming a service shows on its routes by name',
    old: BASE,
    new: BASE.replace('  - name: orders', '  - name: orders-v2'),
    expected: ['- service orders', '+ service orders-v2', '~ route list-orders: service "orders" → "orders-v2"'],
  },
  {
    name: 'targets by upstream and address; weights',
    old: BASE,
    new: BASE.replace('weight: 95', 'weight: 50').replace('10.0.0.2:80\n        weight: 5', '10.0.0.3:80\n        weight: 50'),
    expected: ['~ target 10.0.0.1:80 of upstream pool: weight 95 → 50', '- target 10.0.0.2:80 of upstream pool', '+ target 10.0.0.3:80 of upstream pool'],
  },
  {
    name: 'consumers by username, and an acl',
    old: BASE,
    new: BASE.replace('      - group: admins', '      - group: users').replace('upstreams:', '  - username: bob\nupstreams:'),
    expected: ['+ consumer bob', '- acl group admins of consumer alice', '+ acl group users of consumer alice'],
  },
  {
    name: 'changed credentials are <changed>, never their values',
    old: BASE,
    new: BASE.replace('alice-key-1', 'alice-key-2').replace('alice-password-1', 'alice-password-2'),
    expected: [
      expect.stringMatching(/^~ key-auth credential \S+ of consumer alice: key <changed>$/) as unknown as string,
      '~ basic-auth credential alice of consumer alice: password <changed>',
    ],
  },
  {
    name: 'a vault reference whose value changed is <changed>',
    old: BASE.replace('http://orders.internal:8080/v1', '"{vault://env/ORDERS_URL}"'),
    new: BASE.replace('http://orders.internal:8080/v1', '"{vault://env/ORDERS_URL}"'),
    oldEnv: { ORDERS_URL: 'http://orders.internal:8080/v1/token-aaa' },
    newEnv: { ORDERS_URL: 'http://orders.internal:8080/v1/token-bbb' },
    expected: ['~ service orders: path <changed>'],
  },
  {
    name: 'a plain value that becomes a secret is <changed>',
    old: BASE,
    new: BASE.replace('http://orders.internal:8080/v1', '"{vault://env/ORDERS_URL}"'),
    newEnv: { ORDERS_URL: 'http://secret.internal:8080/v1' },
    expected: ['~ service orders: host <changed>'],
  },
  {
    name: 'a route header from a vault reference (header name written in upper case)',
    old: BASE.replace('methods: [GET]', 'headers:\n          X-Token: "{vault://env/TOKEN}"'),
    new: BASE.replace('methods: [GET]', 'headers:\n          X-Token: "{vault://env/TOKEN}"'),
    oldEnv: { TOKEN: 'header-secret-1' },
    newEnv: { TOKEN: 'header-secret-2' },
    expected: ['~ route list-orders: headers.x-token <changed>'],
  },
];

describe('diffConfigs', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const a = load(c.old, c.oldEnv);
      const b = load(c.new, c.newEnv);
      const d = diffConfigs(a, b);
      expect(d.changes.map(summarize)).toEqual(c.expected);
      // Whatever changed, no secret value of either side appears anywhere in the result or its rendering.
      const printed = JSON.stringify(d) + renderDiff(d.changes);
      for (const s of [...secretValues(a), ...secretValues(b)]) expect(printed).not.toContain(s);
    });
  }

  it('counts and redacts added and removed entities', () => {
    const a = load(BASE);
    const b = load(BASE.replace(/ {2}- username: alice[\s\S]*?(?=upstreams:)/, '  - username: carol\n    keyauth_credentials:\n      - key: carol-secret-key\n'));
    const d = diffConfigs(a, b);
    expect(d.counts).toEqual({ added: 2, removed: 4, changed: 0 });
    const added = d.changes.find((c) => c.kind === 'keyauth_credentials' && c.change === 'added');
    expect(added?.entity).toMatchObject({ key: '<redacted>', consumer: 'carol' });
    const removed = d.changes.find((c) => c.kind === 'basicauth_credentials' && c.change === 'removed');
    expect(removed?.entity).toMatchObject({ username: 'alice', password: '<redacted>' });
    expect(JSON.stringify(d)).not.toMatch(/carol-secret-key|alice-key-1|alice-password-1/);
  });

  it('is deterministic: kinds in a fixed order', () => {
    const a = load(BASE);
    const b = load(BASE.replace('weight: 95', 'weight: 90').replace('methods: [GET]', 'methods: [POST]').replace('8080', '8081'));
    expect(diffConfigs(a, b).changes.map((c) => c.kind)).toEqual(['services', 'routes', 'targets']);
  });
});
