/**
 * Kong's own router test cases, ported as data (Kong/kong at commit 22246ef2): each case names
 * the Kong file and line of the request it replays. Facts carried over, not code: the routes of
 * a Kong `use_case`, the request, and which route Kong selects (or the upstream path it sends).
 * Cases Kong runs only for its `traditional` or `expressions` flavours are left out (Sluice
 * follows `traditional_compatible`).
 */
import { describe, expect, it } from 'vitest';
import type { Route, Service } from '../../../src/config/types.js';
import type { MatchInput } from '../../../src/router/types.js';
import { createRouter } from '../../../src/router/index.js';
import { normalizePath } from '../../../src/router/normalize.js';
import { KONG_PATH_HANDLING, KONG_PATH_HANDLING_FILE } from './kong-path-handling.data.js';

const UNIT = 'spec/01-unit/08-router_spec.lua';
const INTEGRATION = 'spec/02-integration/05-proxy/02-router_spec.lua';

function route(name: string, order: number, over: Partial<Route>): Route {
  return {
    id: name, name, service: 'svc', paths: [], methods: [], hosts: [], headers: {}, snis: [],
    protocols: ['http', 'https'], strip_path: true, preserve_host: false, regex_priority: 0,
    path_handling: 'v0', https_redirect_status_code: 426, request_buffering: true,
    response_buffering: true, tags: [], order, pos: { file: 't', line: order + 1, column: 1 }, ...over,
  };
}

function service(path: string | null): Service {
  return {
    id: 'svc', name: 'svc', protocol: 'http', host: 'upstream', port: 80, path, connect_timeout: 60000,
    read_timeout: 60000, write_timeout: 60000, retries: 5, enabled: true, tls: { verify: null, depth: null, ca: null, client_certificate: null }, tags: [], pos: { file: 't', line: 1, column: 1 },
  };
}

/** Kong's use_case list → routes named "1", "2", ... in Kong's order. */
function useCase(...defs: Array<Partial<Route>>): Route[] {
  return defs.map((d, i) => route(String(i + 1), i, d));
}

interface Req {
  method?: string;
  path?: string;
  host?: string;
  headers?: Record<string, string | string[]>;
  sni?: string | null;
}

/**
 * Kong's request as Sluice's router sees it: the raw path normalised (null = refused), header
 * names lower-cased with `_` → `-` as nginx/Kong read them.
 */
function input(r: Req): MatchInput | null {
  const path = normalizePath(r.path ?? '/');
  if (path === null) return null;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase().replace(/_/g, '-')] = v;
  return { method: r.method ?? 'GET', host: (r.host ?? '').toLowerCase(), port: 80, path, headers, sni: r.sni ?? null, upgrade: false };
}

interface Case {
  src: string;
  routes: Route[];
  req: Req;
  /** Kong's selected route (its 1-based position in the use case), or null for no match. */
  want: string | null;
  params?: Record<string, string>;
  /**
   * A deliberate difference (README "Compatibility with Kong"): what Sluice selects instead, and
   * why. The case still runs, asserting Sluice's answer.
   */
  differs?: { want: string | null; why: string };
}

// spec/01-unit/08-router_spec.lua, describe("select()"): the 15-route use case (lines 150-366)
const select = useCase(
  { hosts: ['domain-1.org', 'domain-2.org'] },
  { methods: ['TRACE'] },
  { paths: ['/my-route'] },
  { paths: ['/route-4'], hosts: ['domain-1.org', 'domain-2.org'] },
  { hosts: ['domain-1.org', 'domain-2.org'], methods: ['POST', 'PUT', 'PATCH'] },
  { methods: ['POST', 'PUT', 'PATCH'], paths: ['/route-6'] },
  { hosts: ['domain-with-uri-1.org', 'domain-with-uri-2.org'], methods: ['POST', 'PUT', 'PATCH'], paths: ['/my-route-uri'] },
  { paths: ['/serviceless'], service: null },
  { headers: { location: ['my-location-1', 'my-location-2'] } },
  { headers: { location: ['my-location-1'], version: ['v1', 'v2'] } },
  { headers: { location: ['my-location-1', 'my-location-2'] }, paths: ['/headers-uri'] },
  { hosts: ['domain-with-headers-1.org', 'domain-with-headers-2.org'], headers: { location: ['my-location-1', 'my-location-2'] }, methods: ['POST', 'PUT', 'PATCH'], paths: ['/headers-host-uri-method'] },
  { hosts: ['domain-1.org:321', 'domain-2.org'] },
  { hosts: ['domain-3.org:321'] },
  { headers: { user_agent: ['~*windows|linux|os\\s+x\\s*[\\d\\._]+|solaris|bsd'] } },
);
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/83.0.4103.116 Safari/537.36';

const headersFirst = useCase(
  { headers: { version: ['v1', 'v2'], user_agent: ['foo', 'bar'] } },
  { headers: { version: ['v1', 'v2'], user_agent: ['foo', 'bar'], location: ['east', 'west'] } },
);
const upperNames = useCase({ headers: { USER_AGENT: ['foo', 'bar'] } }, { headers: { user_agent: ['baz'] } });
const upperValues = useCase({ headers: { user_agent: ['foo', 'bar'] } }, { headers: { user_agent: ['BAZ'] } });
const wildSni = useCase({ snis: ['*.sni.test'] }, { snis: ['sni.*'] });
const longer = useCase({ paths: ['/my-route/hello'] }, { paths: ['/my-route'] });
const longerMethods = useCase({ methods: ['POST', 'PUT', 'GET'], paths: ['/my-route'] }, { methods: ['POST', 'PUT', 'GET'], paths: ['/my-route/hello'] });
const longerHosts = useCase({ hosts: ['domain.org'], paths: ['/my-route'] }, { hosts: ['domain.org'], paths: ['/my-route/hello'] });
const captures = useCase({ paths: ['~/users/(?P<fullname>[a-zA-Z\\s\\d%]+)/profile/?(?P<scope>[a-z]*)'] });
const invalid = useCase({ paths: ['/hello'] });
const normalization = useCase({ paths: ['/foo/bar'] }, { paths: ['/hello'] }, { paths: ['/anything/world'], strip_path: false });

// describe("edge-cases") (lines 2491-2811)
const edge = select.slice(0, 7);
const halfUriHost = useCase({ hosts: ['host1.com'], paths: ['/v1/path'] }, { hosts: ['host2.com'], paths: ['/'] });
const halfWildMethod = useCase({ hosts: ['host.*'], methods: ['GET'] }, { hosts: ['host.*'], methods: ['POST'] });
const halfRegexMethod = useCase({ methods: ['GET'], paths: ['~/users/\\d+/profile'] }, { methods: ['POST'], paths: ['~/users/\\d*/profile'] });
const methodVsPrefix = useCase({ methods: ['GET'] }, { paths: ['/example'] });
const methodVsWildHost = useCase({ methods: ['GET'] }, { hosts: ['domain.*'] });
/** The select() use case with a route for "/" inserted first (line 2772). */
const withRoot = useCase({ paths: ['/'] }, ...select.map(({ paths, methods, hosts, headers, service }) => ({ paths, methods, hosts, headers, service })));

const cases: Case[] = [
  { src: `${UNIT}:377`, routes: select, req: { host: 'domain-1.org' }, want: '1' },
  { src: `${UNIT}:390`, routes: select, req: { host: 'domain-1.org:80' }, want: '1' },
  // routes 1 and 13 have the same priority; Kong breaks the tie by route id, Sluice by file order
  { src: `${UNIT}:413`, routes: select, req: { host: 'domain-1.org:321' }, want: '13', differs: { want: '1', why: 'ties by file order' } },
  { src: `${UNIT}:426`, routes: select, req: { host: 'domain-3.org:321' }, want: '14' },
  { src: `${UNIT}:439`, routes: select, req: { host: 'domain-3.org:123' }, want: null },
  { src: `${UNIT}:445`, routes: select, req: { path: '/my-route', host: 'domain.org' }, want: '3' },
  { src: `${UNIT}:459`, routes: select, req: { path: '/my-route-uri', host: '' }, want: '3' },
  { src: `${UNIT}:472`, routes: select, req: { method: 'TRACE', host: 'domain.org' }, want: '2' },
  { src: `${UNIT}:485`, routes: select, req: { path: '/route-4', host: 'domain-1.org' }, want: '4' },
  { src: `${UNIT}:500`, routes: select, req: { method: 'POST', host: 'domain-1.org' }, want: '5' },
  { src: `${UNIT}:513`, routes: select, req: { method: 'PUT', path: '/route-6', host: 'domain.org' }, want: '6' },
  { src: `${UNIT}:526`, routes: select, req: { method: 'PUT', path: '/my-route-uri', host: 'domain-with-uri-2.org' }, want: '7' },
  { src: `${UNIT}:540`, routes: select, req: { headers: { location: 'my-location-1' } }, want: '9' },
  { src: `${UNIT}:552`, routes: select, req: { headers: { location: 'my-location-2' } }, want: '9' },
  { src: `${UNIT}:564`, routes: select, req: { headers: { location: ['my-location-3', 'my-location-2'] } }, want: '9' },
  { src: `${UNIT}:564 (values joined by the proxy)`, routes: select, req: { headers: { location: 'my-location-3, my-location-2' } }, want: '9' },
  { src: `${UNIT}:576`, routes: select, req: { headers: { location: 'my-location-3' } }, want: null },
  { src: `${UNIT}:581`, routes: select, req: { headers: { location: ['my-location-3', 'foo'] } }, want: null },
  { src: `${UNIT}:586`, routes: select, req: { headers: { user_agent: UA } }, want: '15' },
  { src: `${UNIT}:601`, routes: select, req: { headers: { location: 'my-location-1', version: 'v1' } }, want: '10' },
  { src: `${UNIT}:615`, routes: select, req: { headers: { location: 'my-location-1', version: 'v2' } }, want: '10' },
  { src: `${UNIT}:629`, routes: select, req: { headers: { location: ['my-location-3', 'my-location-1'], version: 'v2' } }, want: '10' },
  { src: `${UNIT}:643`, routes: select, req: { headers: { location: ['my-location-3', 'my-location-2'], version: 'v2' } }, want: '9' },
  { src: `${UNIT}:660`, routes: select, req: { path: '/headers-uri', headers: { location: 'my-location-2' } }, want: '11' },
  { src: `${UNIT}:676`, routes: select, req: { method: 'PUT', path: '/headers-host-uri-method', host: 'domain-with-headers-1.org', headers: { location: 'my-location-2' } }, want: '12' },
  { src: `${UNIT}:696`, routes: select, req: { path: '/serviceless' }, want: '8' },
  { src: `${UNIT}:790`, routes: select, req: { path: '/my-route/some/path', host: 'domain.org' }, want: '3' },
  { src: `${UNIT}:821`, routes: longer, req: { path: '/my-route/hello', host: 'domain.org' }, want: '1' },
  { src: `${UNIT}:828`, routes: longer, req: { path: '/my-route/hello/world', host: 'domain.org' }, want: '1' },
  { src: `${UNIT}:835`, routes: longer, req: { path: '/my-route', host: 'domain.org' }, want: '2' },
  { src: `${UNIT}:842`, routes: longer, req: { path: '/my-route/world', host: 'domain.org' }, want: '2' },
  { src: `${UNIT}:872`, routes: longerMethods, req: { path: '/my-route/hello', host: 'domain.org' }, want: '2' },
  { src: `${UNIT}:876`, routes: longerMethods, req: { path: '/my-route/hello/world', host: 'domain.org' }, want: '2' },
  { src: `${UNIT}:880`, routes: longerMethods, req: { path: '/my-route', host: 'domain.org' }, want: '1' },
  { src: `${UNIT}:884`, routes: longerMethods, req: { path: '/my-route/world', host: 'domain.org' }, want: '1' },
  { src: `${UNIT}:911`, routes: longerHosts, req: { path: '/my-route/hello', host: 'domain.org' }, want: '2' },
  { src: `${UNIT}:2591`, routes: edge, req: { method: 'TRACE', host: 'domain-2.org' }, want: '1' },
  { src: `${UNIT}:2596`, routes: edge, req: { method: 'TRACE', path: '/my-route', host: 'domain.org' }, want: '3' },
  { src: `${UNIT}:2622`, routes: halfUriHost, req: { path: '/v1/path', host: 'host1.com' }, want: '1' },
  { src: `${UNIT}:2626`, routes: halfUriHost, req: { path: '/v1/path', host: 'host2.com' }, want: '2' },
  { src: `${UNIT}:2652`, routes: halfWildMethod, req: { host: 'host.com' }, want: '1' },
  { src: `${UNIT}:2656`, routes: halfWildMethod, req: { method: 'POST', host: 'host.com' }, want: '2' },
  { src: `${UNIT}:2682`, routes: halfRegexMethod, req: { path: '/users/123/profile', host: 'domain.org' }, want: '1' },
  { src: `${UNIT}:2686`, routes: halfRegexMethod, req: { method: 'POST', path: '/users/123/profile', host: 'domain.org' }, want: '2' },
  { src: `${UNIT}:2710`, routes: methodVsPrefix, req: { path: '/example', host: 'domain.org' }, want: '2' },
  { src: `${UNIT}:2714`, routes: methodVsPrefix, req: { path: '/example/status/200', host: 'domain.org' }, want: '2' },
  { src: `${UNIT}:2738`, routes: methodVsWildHost, req: { host: 'nothing.com' }, want: '1' },
  // equal priority again: Kong takes the route with the greater id, Sluice the first in the file
  { src: `${UNIT}:2742`, routes: methodVsWildHost, req: { host: 'domain.com' }, want: '2', differs: { want: '1', why: 'ties by file order' } },
  { src: `${UNIT}:2789`, routes: withRoot, req: { host: 'domain.org' }, want: '1' },
  { src: `${UNIT}:2796`, routes: withRoot, req: { path: '/my-route', host: 'domain.org' }, want: '4' },
  { src: `${UNIT}:2800`, routes: withRoot, req: { path: '/my-route/hello/world', host: 'domain.org' }, want: '4' },
  { src: `${UNIT}:2807`, routes: withRoot, req: { path: '/foobar/baz', host: 'domain.org' }, want: '1' },
  { src: `${UNIT}:1641`, routes: headersFirst, req: { headers: { version: 'v1', user_agent: 'foo', location: ['north', 'west'] } }, want: '2' },
  { src: `${UNIT}:1641 (values joined by the proxy)`, routes: headersFirst, req: { headers: { version: 'v1', user_agent: 'foo', location: 'north, west' } }, want: '2' },
  { src: `${UNIT}:1676`, routes: upperNames, req: { headers: { user_agent: 'foo' } }, want: '1' },
  { src: `${UNIT}:1686`, routes: upperNames, req: { headers: { USER_AGENT: 'baz' } }, want: '2' },
  { src: `${UNIT}:1721`, routes: upperValues, req: { headers: { user_agent: 'FOO' } }, want: '1' },
  { src: `${UNIT}:1731`, routes: upperValues, req: { headers: { user_agent: 'baz' } }, want: '2' },
  ...['foo.sni.test', 'foo.bar.sni.test'].map((sni): Case => ({ src: `${UNIT}:1773 (${sni})`, routes: wildSni, req: { host: 'any.test', sni }, want: '1' })),
  ...['sni.foo', 'sni.foo.bar'].map((sni): Case => ({ src: `${UNIT}:1785 (${sni})`, routes: wildSni, req: { host: 'any.test', sni }, want: '2' })),
  ...['bar.sni.foo', 'foo.sni.test.bar'].map((sni): Case => ({ src: `${UNIT}:1794 (${sni})`, routes: wildSni, req: { host: 'any.test', sni }, want: null })),
  { src: `${UNIT}:3574`, routes: captures, req: { path: '/users/%6aohn%20doe/profile', host: 'domain.org' }, want: '1', params: { fullname: 'john doe', scope: '' } },
  { src: `${UNIT}:4391`, routes: invalid, req: { path: '/\xfc\x80\x80\x80\x80\xaf'.replace(/[\x80-\xff]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()), host: 'example.org' }, want: null },
  { src: `${INTEGRATION}:983`, routes: normalization, req: { path: '/foo/a/../bar' }, want: '1' },
  { src: `${INTEGRATION}:983 (//)`, routes: normalization, req: { path: '/foo//bar' }, want: '1' },
  { src: `${INTEGRATION}:983 (/./)`, routes: normalization, req: { path: '/foo/./bar' }, want: '1' },
];

it('counts', () => {
  // kept in step with the README's "Compatibility with Kong"
  expect(cases.length).toBeGreaterThan(50);
  expect(cases.filter((c) => c.differs !== undefined).length).toBe(2);
});

describe(`Kong router cases (${UNIT}, ${INTEGRATION})`, () => {
  for (const c of cases) {
    it(c.differs === undefined ? c.src : `${c.src} (deliberate difference: ${c.differs.why})`, () => {
      const inp = input(c.req);
      const m = inp === null ? null : createRouter(c.routes, new Map([['svc', service(null)]])).match(inp);
      expect(m?.route.name ?? null).toBe(c.differs === undefined ? c.want : c.differs.want);
      if (c.params !== undefined) expect(m?.params).toEqual(c.params);
    });
  }
});

describe(`Kong path handling (${KONG_PATH_HANDLING_FILE})`, () => {
  for (const [line, servicePath, routePath, strips, handlings, requestPath, expected] of KONG_PATH_HANDLING) {
    for (const strip of strips) {
      for (const handling of handlings) {
        it(`${KONG_PATH_HANDLING_FILE}:${line} service ${servicePath} route ${routePath ?? '(host)'} strip_path ${strip} ${handling} ${requestPath} → ${expected}`, () => {
          const r = route('r', 0, routePath === null ? { hosts: ['example.com'], strip_path: strip, path_handling: handling } : { paths: [routePath], strip_path: strip, path_handling: handling });
          const inp = input({ path: requestPath, host: 'example.com' })!;
          const m = createRouter([r], new Map([['svc', service(servicePath)]])).match(inp);
          expect(m?.upstreamPath).toBe(expected);
        });
      }
    }
  }
});
