/** Issue 19 item 10: validate warns about a route another route shadows for every request. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigString } from '../../../src/config/index.js';
import { shadowWarnings } from '../../../src/cli/shadow.js';
import { compile } from '../../../src/snapshot/compile.js';
import { PoolRegistry } from '../../../src/upstream/pool.js';
import { repoRoot } from '../config/helpers.js';

function warnings(text: string): string[] {
  const r = loadConfigString(text, 'gw.yaml', { env: { ALICE_API_KEY: 'k' } });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  const pools = new PoolRegistry();
  const snap = compile(r.config, { pools });
  void pools.closeAll();
  return shadowWarnings(r.config, snap.router, 'gw.yaml').map((d) => `${d.line}:${d.column} ${d.message}`);
}

const svc = (...routes: string[]): string => ['_format_version: "3.0"', 'services:', '  - name: s', '    url: http://s.internal', '    routes:', ...routes].join('\n') + '\n';

describe('shadowed routes', () => {
  it('warns about a route whose every request goes to an earlier, broader one', () => {
    expect(warnings(svc('      - name: all-orders', '        paths: [/orders]', '        methods: [GET, POST]', '      - name: get-orders', '        paths: [/orders]', '        methods: [GET]'))).toEqual([
      '9:9 route get-orders can never match: route all-orders comes first in match order and takes every request it could (it sets paths /orders, methods GET, POST); see sluice routes',
    ]);
    expect(warnings(svc('      - name: a', '        paths: [/a, /b]', '      - name: b', '        paths: [/b/c]', '        strip_path: false', '      - name: c', '        paths: [/b]'))[0]).toMatch(/^11:9 route c can never match: route a /);
  });

  it('says nothing when some request still reaches the route', () => {
    // Another method, a longer prefix, a template (tried before prefixes of the same weight), another host.
    expect(warnings(svc('      - name: get', '        paths: [/orders]', '        methods: [GET]', '      - name: any', '        paths: [/orders]'))).toEqual([]);
    expect(warnings(svc('      - name: short', '        paths: [/o]', '      - name: long', '        paths: [/orders]'))).toEqual([]);
    expect(warnings(svc('      - name: p', '        paths: [/orders]', '      - name: t', '        paths: ["/orders/{id}"]'))).toEqual([]);
    expect(warnings(svc('      - name: h', '        paths: [/orders]', '        hosts: [a.example.com]', '        methods: [GET]', '      - name: g', '        paths: [/orders]', '        methods: [GET]'))).toEqual([]);
    // Regex paths are never judged.
    expect(warnings(svc('      - name: r', '        paths: ["~/x"]', '      - name: r2', '        paths: ["~/x"]'))).toEqual([]);
  });

  it("the README's configuration example: no route is shadowed, and the template route is reachable", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const example = /```yaml\n(_format_version: "3\.0"\nservices:[\s\S]*?)```/.exec(readme)![1]!;
    expect(example).toContain('/orders/{orderId}');
    expect(warnings(example)).toEqual([]);
    const r = loadConfigString(example, 'gw.yaml', { env: { ALICE_API_KEY: 'k' } });
    const snap = compile(r.ok ? r.config : (undefined as never), { pools: new PoolRegistry() });
    const m = snap.router.match({ method: 'GET', host: 'h', port: 80, path: '/orders/42', headers: {}, sni: null, upgrade: false });
    expect(m?.route.name).toBe('order');
    expect(m?.upstreamPath).toBe('/v2/orders/42');
  });
});
