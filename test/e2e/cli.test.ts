/**
 * The inspection commands end to end: the BUILT binary (`npm test` builds first), real files,
 * exit codes and output as a CI job sees them.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLUICE, SLUICE_ARGS } from '../helpers/gateway.js';
import { runtimeInfo } from '../../src/uws/load.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;

const y = (...lines: string[]): string => lines.join('\n') + '\n';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sluice(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(SLUICE, [...SLUICE_ARGS, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

const GOOD = y(
  '_format_version: "3.0"',
  'services:',
  '  - name: orders',
  '    url: http://orders.internal:8080/v1',
  '    routes:',
  '      - name: list-orders',
  '        paths: [/orders]',
  '        methods: [GET]',
  '      - name: order',
  '        paths: ["/orders/{id}"]',
  '        strip_path: false',
  '      - name: admin',
  '        paths: [/admin]',
  '        hosts: [admin.example.com]',
  '        headers:',
  '          X-Token: "{vault://env/ADMIN_TOKEN}"',
  '  - name: canary',
  '    host: pool',
  '    routes:',
  '      - name: canary',
  '        paths: [/canary]',
  '        preserve_host: true',
  'consumers:',
  '  - username: alice',
  '    keyauth_credentials:',
  '      - key: alice-key-1',
  'upstreams:',
  '  - name: pool',
  '    targets:',
  '      - target: 10.0.0.1:80',
  '        weight: 95',
  '      - target: 10.0.0.2:80',
  '        weight: 5',
);
const ENV = { ADMIN_TOKEN: 'admin-token-secret' };

const BAD = y(
  '_format_version: "3.0"', // 1
  'services:', // 2
  '  - name: orders', // 3
  '    url: http://orders.internal', // 4
  '    colour: blue', // 5
  'routes:', // 6
  '  - name: r', // 7
  '    service: nowhere', // 8
  '    paths: [/r]', // 9
);

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/diff.js'))) execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')]);
  dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  file('gateway.yaml', GOOD);
  file('bad.yaml', BAD);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sluice validate', () => {
  it('reports a valid file with its counts (default ./gateway.yaml)', () => {
    const r = sluice(['validate'], ENV);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('./gateway.yaml: valid (2 services, 4 routes, 1 consumer, 0 plugins)\n');
  });

  it('prints every problem as FILE:LINE:COL and exits 1', () => {
    const r = sluice(['validate', '-c', 'bad.yaml']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^bad\.yaml:5:5 .*unknown key "colour"/),
      expect.stringMatching(/^bad\.yaml:8:14 .*unknown service "nowhere"/),
      'bad.yaml: invalid (2 errors)',
    ]);
  });

  it('checks several files, marks warnings, reports a missing file', () => {
    file('warn.yaml', GOOD.replace('_format_version: "3.0"\n', '_format_version: "3.0"\n_workspace: team-a\n'));
    const r = sluice(['validate', '-c', 'warn.yaml', '-c', 'missing.yaml', '-c', 'bad.yaml'], ENV);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^warn\.yaml:2:\d+ warning: .*_workspace/m);
    expect(r.stdout).toContain('warn.yaml: valid (2 services, 4 routes, 1 consumer, 0 plugins), 1 warning\n');
    expect(r.stdout).toContain('missing.yaml:1:1 no such file\nmissing.yaml: invalid (1 error)\n');
    expect(r.stdout).toContain('bad.yaml: invalid (2 errors)\n');
  });

  it("warns about a route method this uWS build closes the connection for (issue 18), naming the build", () => {
    file('purge.yaml', y('_format_version: "3.0"', 'services:', '  - name: s', '    url: http://127.0.0.1:9', '    routes:', '      - name: cache', '        paths: [/c]', '        methods: [GET, PURGE]'));
    const r = sluice(['validate', 'purge.yaml']);
    expect(r.code).toBe(0);
    const uws = runtimeInfo().uws;
    if (uws === '20.57.0') expect(r.stdout).toBe('purge.yaml: valid (1 service, 1 route, 0 consumers, 0 plugins)\n');
    else {
      expect(r.stdout).toBe(
        `purge.yaml:8:24 warning: services[s].routes[cache].methods[1] PURGE: uWebSockets.js ${uws} (this build) closes the connection for this method before Sluice sees the request, so such requests get no answer; run Node 22/24 on glibc >= 2.38 (uWS 20.57) to serve it (README "Known limitations")\n` +
          'purge.yaml: valid (1 service, 1 route, 0 consumers, 0 plugins), 1 warning\n',
      );
    }
  });

  it('a missing secret is an error naming its line', () => {
    const r = sluice(['validate', '-c', 'gateway.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^gateway\.yaml:16:\d+ .*ADMIN_TOKEN/m);
  });

  it('takes SLUICE_CONFIG', () => {
    const r = sluice(['validate'], { SLUICE_CONFIG: 'bad.yaml' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('bad.yaml: invalid');
  });

  it('--json', () => {
    const r = sluice(['validate', '--json', '-c', 'gateway.yaml', '-c', 'bad.yaml'], ENV);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.valid).toBe(false);
    expect(doc.files[0]).toMatchObject({ file: 'gateway.yaml', valid: true, errors: [], counts: { services: 2, routes: 4, consumers: 1, plugins: 0, upstreams: 1 } });
    expect(doc.files[1]).toMatchObject({ file: 'bad.yaml', valid: false, counts: null });
    expect(doc.files[1].errors[0]).toMatchObject({ file: 'bad.yaml', line: 5, column: 5, severity: 'error' });
  });

  it('usage errors exit 2', () => {
    expect(sluice(['validate', '--nope']).code).toBe(2);
    const r = sluice(['validate', '-c']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sluice validate:');
  });

  it('--help', () => {
    const r = sluice(['validate', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: sluice validate');
  });
});

describe('sluice routes', () => {
  it('prints the table in match order with aligned columns, secrets redacted', () => {
    const r = sluice(['routes'], ENV);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^#\s+NAME\s+METHODS\s+HOSTS\s+PATHS\s+HEADERS\s+SERVICE → UPSTREAM\s+STRIP\s+PLUGINS$/);
    // admin sets hosts, headers and paths (weight 3); the template (a regex-class path) precedes prefixes; then longest prefix.
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['1 admin', '2 list-orders', '3 order', '4 canary']);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toHaveLength(4);
    const col = lines[0]!.indexOf('PATHS');
    for (const l of lines.slice(1)) expect(l[col - 1]).toBe(' ');
    expect(r.stdout).toContain('orders → http://orders.internal:8080/v1');
    expect(r.stdout).toContain('canary → http://pool:80 (2 targets)');
    expect(r.stdout).toContain('x-token=<redacted>');
    expect(r.stdout).not.toContain('admin-token-secret');
  });

  it('--json', () => {
    const r = sluice(['routes', '--json'], ENV);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.routes.map((x: { name: string }) => x.name)).toEqual(['admin', 'list-orders', 'order', 'canary']);
    expect(doc.routes[0]).toMatchObject({ priority: 1, name: 'admin', hosts: ['admin.example.com'], headers: { 'x-token': ['<redacted>'] }, service: 'orders', strip_path: true, plugins: [] });
    expect(doc.routes[3]).toMatchObject({ service: 'canary', upstream_url: 'http://pool:80', targets: [{ target: '10.0.0.1:80', weight: 95, share: '95%' }, { target: '10.0.0.2:80', weight: 5, share: '5%' }] });
    expect(r.stdout).not.toContain('admin-token-secret');
  });

  it('an invalid file: errors on stderr, exit 1', () => {
    const r = sluice(['routes', '-c', 'bad.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bad\.yaml:5:5 /m);
    expect(r.stdout).toBe('');
    const j = sluice(['routes', '--json', '-c', 'bad.yaml']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ valid: false, file: 'bad.yaml', errors: [{ line: 5, column: 5 }, { line: 8 }] });
  });
});

describe('sluice explain', () => {
  it('a match: route, reasons, upstream URL with query, headers, params', () => {
    // list-orders (methods + paths) outranks the template, but only for GET.
    const r = sluice(['explain', 'PUT', 'http://api.example.com/orders/42?expand=items'], ENV);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Matched route order (#3) by path /orders/{id}');
    expect(r.stdout).toMatch(/✗\s+#1\s+admin\s+host api\.example\.com not in \[admin\.example\.com\]/);
    expect(r.stdout).toMatch(/✗\s+#2\s+list-orders\s+method PUT not in \[GET\]/);
    expect(r.stdout).toMatch(/upstream\s+http:\/\/orders\.internal:8080\/v1\/orders\/42\?expand=items/);
    expect(r.stdout).toMatch(/params\s+id=42/);
    expect(r.stdout).toMatch(/Host:\s+orders\.internal:8080/);
    expect(r.stdout).toMatch(/X-Forwarded-Host:\s+api\.example\.com/);
  });

  it('strip_path and an upstream with weighted targets; preserve_host', () => {
    const r = sluice(['explain', 'GET', 'http://gw.local:8000/canary/x', '-H', 'Host: shop.example.com'], ENV);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/upstream\s+http:\/\/pool:80\/x/);
    expect(r.stdout).toMatch(/target\s+10\.0\.0\.1:80\s+weight 95 \(95%\)/);
    expect(r.stdout).toMatch(/X-Forwarded-Prefix:\s+\/canary/);
    expect(r.stdout).toMatch(/Host:\s+shop\.example\.com/);
  });

  it('no match: exit 3, every route with its reason; header values that are secrets stay redacted', () => {
    const r = sluice(['explain', 'POST', 'http://admin.example.com/admin', '-H', 'X-Token: wrong'], ENV);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('No route matches');
    expect(r.stdout).toMatch(/✗\s+#1\s+admin\s+header x-token/);
    expect(r.stdout).not.toContain('admin-token-secret');
  });

  it('--json', () => {
    const r = sluice(['explain', '--json', 'PATCH', '/orders/7'], ENV);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      matched: true,
      route: { name: 'order', priority: 3, matched_path: '/orders/{id}' },
      params: { id: '7' },
      service: 'orders',
      upstream: { url: 'http://orders.internal:8080/v1/orders/7', targets: [] },
      headers: { host: 'orders.internal:8080', 'x-forwarded-port': '8000' },
      plugins: [],
    });
    expect(doc.steps).toHaveLength(4);
    const miss = sluice(['explain', '--json', 'DELETE', '/nothing'], ENV);
    expect(miss.code).toBe(3);
    expect(JSON.parse(miss.stdout)).toMatchObject({ matched: false, route: null, response: { status: 404 } });
  });

  it('an https-only route answers plain http itself (426), and nothing goes upstream', () => {
    const f = file('https.yaml', y('_format_version: "3.0"', 'services:', '  - name: s', '    url: http://s.internal', '    routes:', '      - name: secure', '        paths: [/s]', '        protocols: [https]'));
    const r = sluice(['explain', '-c', f, 'GET', 'http://x/s']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('The gateway answers 426: Please use HTTPS protocol');
    expect(r.stdout).not.toContain('upstream');
    const tls = sluice(['explain', '--json', '-c', f, 'GET', 'https://x/s']);
    expect(tls.code).toBe(0);
    expect(JSON.parse(tls.stdout)).toMatchObject({ matched: true, response: null, upstream: { url: 'http://s.internal:80/' }, headers: { 'x-forwarded-proto': 'https' } });
  });

  it('exit 1 on an invalid file, 2 on usage errors', () => {
    expect(sluice(['explain', '-c', 'bad.yaml', 'GET', '/r']).code).toBe(1);
    expect(sluice(['explain', 'GET'], ENV).code).toBe(2);
    expect(sluice(['explain', 'GET', 'ftp://x/y'], ENV).code).toBe(2);
    expect(sluice(['explain', 'GET', '/x', '-H', 'no-colon'], ENV).code).toBe(2);
  });
});

describe('sluice diff', () => {
  it('same: exit 0', () => {
    const r = sluice(['diff', 'gateway.yaml', 'gateway.yaml'], ENV);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No differences');
  });

  it('entity-level changes; a changed secret shows <changed>, never a value', () => {
    const next = file('next.yaml', GOOD.replace('alice-key-1', 'alice-key-2').replace('weight: 95', 'weight: 90').replace('      - name: canary\n', '      - name: canary-v2\n'));
    const r = sluice(['diff', 'gateway.yaml', next], ENV);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('--- gateway.yaml\n+++ next.yaml\n');
    expect(r.stdout).toContain('  - route canary');
    expect(r.stdout).toMatch(/ {2}\+ route canary-v2\s+paths \/canary/);
    expect(r.stdout).toContain('  ~ target 10.0.0.1:80 of upstream pool\n      weight: 95 → 90\n');
    expect(r.stdout).toMatch(/~ key-auth credential \S+ of consumer alice\n {6}key: <changed>\n/);
    expect(r.stdout).toContain('1 added, 1 removed, 2 changed');
    expect(r.stdout + r.stderr).not.toMatch(/alice-key-[12]|admin-token-secret/);
  });

  it('--json', () => {
    const r = sluice(['diff', '--json', 'gateway.yaml', 'next.yaml'], ENV);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ old: 'gateway.yaml', new: 'next.yaml', same: false, counts: { added: 1, removed: 1, changed: 2 } });
    expect(doc.changes).toContainEqual(expect.objectContaining({ kind: 'keyauth_credentials', change: 'changed', fields: [{ field: 'key', secret: true }] }));
    expect(r.stdout).not.toMatch(/alice-key-[12]/);
  });

  it('an invalid file or bad usage: exit 2', () => {
    const r = sluice(['diff', 'gateway.yaml', 'bad.yaml'], ENV);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bad\.yaml:5:5 /m);
    expect(sluice(['diff', 'gateway.yaml'], ENV).code).toBe(2);
    expect(sluice(['diff', '--json', 'gateway.yaml', 'missing.yaml'], ENV).code).toBe(2);
  });
});

describe('sluice', () => {
  it('lists the commands', () => {
    const r = sluice(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['validate', 'routes', 'explain', 'diff']) expect(r.stdout).toContain(`  ${c} `);
  });
});

describe('--offline (issue 19: a CI job without secrets)', () => {
  const REFS = y(
    '_format_version: "3.0"',
    'services:',
    '  - name: orders',
    '    url: "{vault://env/ORDERS_URL}"',
    '    routes:',
    '      - name: list-orders',
    '        paths: [/orders]',
    'consumers:',
    '  - username: alice',
    '    keyauth_credentials:',
    '      - key: "{vault://env/ALICE_API_KEY}"',
    '    basicauth_credentials:',
    '      - username: alice',
    '        password: "{vault://file/secrets/alice.pw}"',
  );

  it('validate, routes and explain fail without the secrets, and pass with --offline', () => {
    file('refs.yaml', REFS);
    const online = sluice(['validate', '-c', 'refs.yaml']);
    expect(online.code).toBe(1);
    expect(online.stdout).toMatch(/^refs\.yaml:4:10 cannot resolve \{vault:\/\/env\/ORDERS_URL\}/m);
    const offline = sluice(['validate', '--offline', '-c', 'refs.yaml']);
    expect(offline.stdout).toBe('refs.yaml: valid (1 service, 1 route, 1 consumer, 0 plugins)\n');
    expect(offline.code).toBe(0);
    expect(sluice(['routes', '-c', 'refs.yaml']).code).toBe(1);
    const routes = sluice(['routes', '--offline', '-c', 'refs.yaml']);
    expect(routes.code).toBe(0);
    expect(routes.stdout).toMatch(/list-orders .*orders → <redacted>/);
    expect(sluice(['explain', '--offline', '-c', 'refs.yaml', 'GET', 'http://x/orders']).code).toBe(0);
    const json = JSON.parse(sluice(['validate', '--offline', '--json', '-c', 'refs.yaml']).stdout);
    expect(json).toMatchObject({ valid: true, files: [{ file: 'refs.yaml', valid: true, errors: [] }] });
  });

  it('still checks the syntax of references offline', () => {
    file('badrefs.yaml', y('_format_version: "3.0"', 'consumers:', '  - username: a', '    keyauth_credentials:', '      - key: "{vault://aws/x}"', '      - key: "{vault://env/}"', '      - key: "{vault://env/X"', '      - key: {vault://env/Y}'));
    const r = sluice(['validate', '--offline', 'badrefs.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^badrefs\.yaml:5:14 unsupported vault "aws"/m);
    expect(r.stdout).toMatch(/^badrefs\.yaml:6:14 vault reference \{vault:\/\/env\/\} names nothing/m);
    expect(r.stdout).toMatch(/^badrefs\.yaml:7:14 malformed vault reference/m);
    expect(r.stdout).toMatch(/^badrefs\.yaml:8:\d+ unquoted vault reference/m);
  });

  it('diff --offline compares references as text; online, resolved secrets show as <changed>', () => {
    file('refs-new.yaml', REFS.replace('ALICE_API_KEY', 'ALICE_KEY_V2').replace('ORDERS_URL', 'ORDERS_URL_V2'));
    const r = sluice(['diff', '--offline', 'refs.yaml', 'refs-new.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('url_reference: "{vault://env/ORDERS_URL}" → "{vault://env/ORDERS_URL_V2}"');
    expect(r.stdout).toContain('key: "{vault://env/ALICE_API_KEY}" → "{vault://env/ALICE_KEY_V2}"');
    expect(sluice(['diff', '--offline', 'refs.yaml', 'refs.yaml']).code).toBe(0);
    mkdirSync(join(dir, 'secrets'), { recursive: true });
    writeFileSync(join(dir, 'secrets', 'alice.pw'), 'pw');
    const env = { ORDERS_URL: 'http://a.internal', ORDERS_URL_V2: 'http://b.internal', ALICE_API_KEY: 'key-one-secret', ALICE_KEY_V2: 'key-two-secret' };
    const online = sluice(['diff', 'refs.yaml', 'refs-new.yaml'], env);
    expect(online.code).toBe(1);
    expect(online.stdout).toContain('key: <changed>');
    expect(online.stdout).not.toMatch(/key-one-secret|key-two-secret|a\.internal|b\.internal/);
  });
});
