/**
 * Kong's own router test cases, ported as data (Kong/kong at commit 22246ef2): each case names
 * the Kong file and line of the request it replays. Facts carried over, not code: the routes of
 * a Kong `use_case`, the request, and which route Kong selects (or the upstream path it sends).
 * Cases Kong runs only for its `traditional` or `expressions` flavours are left out (Sluice
 * follows `traditional_compatible`), and so are stream (tcp/tls) and grpc routes and tests of
 * Kong's internals (cache, incremental rebuilds, generated expressions, argument errors).
 *
 * The cases: kong-unit.data.ts (select()), kong-unit-exec.data.ts (exec(): captures, strip_path,
 * upstream paths), kong-integration.data.ts (the proxy tests a route and an upstream path
 * decide), kong-path-handling.data.ts (the path-handling fixture table).
 */
import { describe, expect, it } from 'vitest';
import type { Service } from '../../../src/config/types.js';
import type { MatchInput } from '../../../src/router/types.js';
import { createRouter } from '../../../src/router/index.js';
import { normalizePath } from '../../../src/router/normalize.js';
import { checkRoutePath } from '../../../src/router/paths.js';
import { escapePath } from '../../../src/router/upstream-path.js';
import { KONG_PATH_HANDLING, KONG_PATH_HANDLING_FILE } from './kong-path-handling.data.js';
import { INTEGRATION, route, service, UNIT, type Case, type Req } from './kong-cases.js';
import { KONG_UNIT_SELECT } from './kong-unit.data.js';
import { KONG_UNIT_EXEC } from './kong-unit-exec.data.js';
import { KONG_INTEGRATION } from './kong-integration.data.js';

/**
 * Kong's request as Sluice's router sees it: the raw path normalised (null = refused) unless the
 * case replays Kong's select() with a path as written, header names lower-cased with `_` → `-` as
 * nginx/Kong read them.
 */
function input(r: Req, raw = false): MatchInput | null {
  const path = raw ? (r.path ?? '/') : normalizePath(r.path ?? '/');
  if (path === null) return null;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase().replace(/_/g, '-')] = v;
  return { method: r.method ?? 'GET', host: (r.host ?? '').toLowerCase(), port: 80, path, headers, sni: r.sni ?? null, upgrade: false };
}

/** The router a snapshot would build for these routes: a disabled service's routes are left out. */
function routerFor(c: Case) {
  const services = new Map<string, Service>();
  for (const r of c.routes) if (r.service !== null && !services.has(r.service)) services.set(r.service, service(r.service));
  const routes = c.routes.filter((r) => r.service === null || services.get(r.service)!.enabled);
  return createRouter(routes, services);
}

const cases: Case[] = [...KONG_UNIT_SELECT, ...KONG_UNIT_EXEC, ...KONG_INTEGRATION];

/** Expanded path-handling rows: one per (strip_path, path_handling) pair, as Kong's `expand`. */
const pathHandling = KONG_PATH_HANDLING.flatMap(([line, servicePath, routePath, strips, handlings, requestPath, expected]) =>
  strips.flatMap((strip) => handlings.map((handling) => ({ line, servicePath, routePath, strip, handling, requestPath, expected }))));

/**
 * Route paths Kong's tests only build a router with (08-router_spec.lua "raw string", "check regex
 * with '\\'", and a route with several paths and no service): Sluice must accept and compile them.
 */
const accepted: Array<{ src: string; paths: string[] }> = [
  { src: `${UNIT}:2303`, paths: ['~/\\"/*$'] },
  { src: `${UNIT}:2311`, paths: ['~/\\"#/*$'] },
  { src: `${UNIT}:2335`, paths: ['~/\\\\/*$'] },
  { src: `${UNIT}:2343`, paths: ['~/\\d+'] },
  { src: `${UNIT}:5065`, paths: ['/foo', '/foo/bar/baz'] },
];

const fileOf = (src: string): string => src.slice(0, src.indexOf(':'));

const per = (file: string) => cases.filter((c) => fileOf(c.src) === file).length + accepted.filter((c) => fileOf(c.src) === file).length;
const totals = { [UNIT]: per(UNIT), [INTEGRATION]: per(INTEGRATION), [KONG_PATH_HANDLING_FILE]: pathHandling.length };

// the numbers the README's "Compatibility with Kong" quotes (test/e2e/kong-router.test.ts adds
// the 02-router_spec.lua cases only a whole gateway shows)
it(`counts: ${Object.entries(totals).map(([f, n]) => `${f} ${n}`).join(', ')}`, () => {
  expect(totals).toEqual({ [UNIT]: 271, [INTEGRATION]: 56, [KONG_PATH_HANDLING_FILE]: 212 });
  expect(cases.filter((c) => c.differs !== undefined).map((c) => c.src)).toEqual([`${UNIT}:2742`]);
  expect(cases.filter((c) => c.raw === true).length).toBe(12);
});

describe(`Kong router cases (${UNIT}, ${INTEGRATION})`, () => {
  for (const c of cases) {
    it(c.differs === undefined ? c.src : `${c.src} (deliberate difference: ${c.differs.why})`, () => {
      const inp = input(c.req, c.raw === true);
      const m = inp === null ? null : routerFor(c).match(inp);
      expect(m?.route.name ?? null).toBe(c.differs === undefined ? c.want : c.differs.want);
      if (c.params !== undefined) expect(m?.params).toEqual(c.params);
      if (c.prefix !== undefined) expect(m?.strippedPrefix).toBe(c.prefix);
      // Kong's router gives the upstream path unescaped; its proxy escapes it on the way out, as
      // Sluice's upstreamPath already is
      if (c.upstream !== undefined) expect(m?.upstreamPath).toBe(escapePath(c.upstream));
    });
  }
});

describe(`Kong route paths the router accepts (${UNIT})`, () => {
  for (const { src, paths } of accepted) {
    it(`${src} ${paths.join(' ')}`, () => {
      for (const p of paths) expect(checkRoutePath(p)).toBeNull();
      const r = route('1', 0, { paths, service: null });
      const router = createRouter([r], new Map());
      expect(router.ordered()).toEqual([r]);
      expect(router.match(input({ path: '/foo/bar/baz' })!)?.route.name ?? null).toBe(paths[0] === '/foo' ? '1' : null);
    });
  }
});

describe(`Kong path handling (${KONG_PATH_HANDLING_FILE})`, () => {
  for (const { line, servicePath, routePath, strip, handling, requestPath, expected } of pathHandling) {
    it(`${KONG_PATH_HANDLING_FILE}:${line} service ${servicePath} route ${routePath ?? '(host)'} strip_path ${strip} ${handling} ${requestPath} → ${expected}`, () => {
      const r = route('r', 0, { service: `path:${servicePath}`, strip_path: strip, path_handling: handling, ...(routePath === null ? { hosts: ['example.com'] } : { paths: [routePath] }) });
      const inp = input({ path: requestPath, host: 'example.com' })!;
      const m = createRouter([r], new Map([[r.service!, service(r.service!)]])).match(inp);
      expect(m?.upstreamPath).toBe(expected);
    });
  }
});
