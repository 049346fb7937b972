/**
 * Router behaviour as one table (hono-style): any Router implementation must pass it.
 * Rows: (routes, request) → expected route name (or null), params, upstreamPath, strippedPrefix.
 */
import { describe, expect, it } from 'vitest';
import type { Route, Service } from '../../../src/config/types.js';
import type { MatchInput, RouterFactory } from '../../../src/router/types.js';
import { createRouter } from '../../../src/router/index.js';
import { checkRouteHeaderValue, checkRoutePath, pathKind, regexLiteralPrefix } from '../../../src/router/paths.js';
import { escapePath } from '../../../src/router/upstream-path.js';

// ---------------------------------------------------------------------------------------------
// fixtures
// ---------------------------------------------------------------------------------------------

let order = 0;
function route(name: string, over: Partial<Route> = {}): Route {
  return {
    id: `id-${name}`,
    name,
    service: 'svc',
    paths: [],
    methods: [],
    hosts: [],
    headers: {},
    snis: [],
    protocols: ['http', 'https'],
    strip_path: true,
    preserve_host: false,
    regex_priority: 0,
    path_handling: 'v0',
    https_redirect_status_code: 426,
    request_buffering: true,
    response_buffering: true,
    tags: [],
    order: order++,
    pos: { file: 't', line: 1, column: 1 },
    ...over,
  };
}

function service(path: string | null, id = 'svc'): Service {
  return {
    id,
    tls: { verify: null, depth: null, ca: null, client_certificate: null },
    name: id,
    protocol: 'http',
    host: 'upstream',
    port: 80,
    path,
    connect_timeout: 60000,
    read_timeout: 60000,
    write_timeout: 60000,
    retries: 5,
    enabled: true,
    tags: [],
    pos: { file: 't', line: 1, column: 1 },
  };
}

function req(path: string, over: Partial<MatchInput> = {}): MatchInput {
  return { method: 'GET', host: '', port: 8000, path, headers: {}, sni: null, upgrade: false, ...over };
}

interface Row {
  name: string;
  routes: Route[];
  service?: string | null;
  req: MatchInput;
  want: string | null;
  params?: Record<string, string> | null;
  upstream?: string;
  stripped?: string | null;
}

/** Routes are built fresh per row (order counter restarts) so file order = array order. */
function rs(...defs: Array<[string, Partial<Route>]>): Route[] {
  order = 0;
  return defs.map(([n, o]) => route(n, o));
}

// ---------------------------------------------------------------------------------------------
// the table
// ---------------------------------------------------------------------------------------------

const rows: Row[] = [
  // --- paths: prefix
  { name: 'prefix matches', routes: rs(['a', { paths: ['/v1'] }]), req: req('/v1/x'), want: 'a', params: null, upstream: '/x', stripped: '/v1' },
  { name: 'prefix is a plain string prefix (Kong)', routes: rs(['a', { paths: ['/v1'] }]), req: req('/v1x'), want: 'a', upstream: '/v1x'.replace('/v1', '/') },
  { name: 'prefix miss', routes: rs(['a', { paths: ['/v1'] }]), req: req('/v2/x'), want: null },
  { name: 'longest prefix wins', routes: rs(['short', { paths: ['/a'] }], ['long', { paths: ['/a/b'] }]), req: req('/a/b/c'), want: 'long', stripped: '/a/b', upstream: '/c' },
  { name: 'shorter prefix when longer misses', routes: rs(['short', { paths: ['/a'] }], ['long', { paths: ['/a/b'] }]), req: req('/a/c'), want: 'short' },
  { name: 'root prefix catches all', routes: rs(['root', { paths: ['/'] }]), req: req('/anything'), want: 'root', upstream: '/anything', stripped: '/' },
  { name: 'no strip keeps path', routes: rs(['a', { paths: ['/v1'], strip_path: false }]), req: req('/v1/x'), want: 'a', upstream: '/v1/x', stripped: null },
  { name: 'route without paths matches any path', routes: rs(['h', { hosts: ['a.com'] }]), req: req('/x/y', { host: 'a.com' }), want: 'h', upstream: '/x/y', stripped: null },

  // --- paths: regex
  { name: 'regex anchored at start', routes: rs(['r', { paths: ['~/users/\\d+'] }]), req: req('/users/42/x'), want: 'r', upstream: '/x', stripped: '/users/42' },
  { name: 'regex not anchored elsewhere', routes: rs(['r', { paths: ['~/users/\\d+'] }]), req: req('/api/users/42'), want: null },
  { name: 'regex named captures → params', routes: rs(['r', { paths: ['~/users/(?<id>\\d+)/posts/(?<post>[a-z]+)$'], strip_path: false }]), req: req('/users/7/posts/abc'), want: 'r', params: { id: '7', post: 'abc' }, upstream: '/users/7/posts/abc', stripped: null },
  { name: 'regex (?P<name>) syntax', routes: rs(['r', { paths: ['~/u/(?P<id>\\d+)'] }]), req: req('/u/9'), want: 'r', params: { id: '9' }, upstream: '/', stripped: '/u/9' },
  { name: 'regex unnamed groups → no params', routes: rs(['r', { paths: ['~/u/(\\d+)'] }]), req: req('/u/9/z'), want: 'r', params: null, upstream: '/z' },
  { name: 'regex optional named group unset → omitted', routes: rs(['r', { paths: ['~/f(?<ext>\\.json)?$'] }]), req: req('/f'), want: 'r', params: null },
  { name: 'regex $ end', routes: rs(['r', { paths: ['~/exact$'] }]), req: req('/exact/more'), want: null },
  { name: 'regex with alternation (no literal prefix)', routes: rs(['r', { paths: ['~/a|/b'] }]), req: req('/b/x'), want: 'r', upstream: '/x' },

  // --- paths: templates
  { name: 'template {x}', routes: rs(['t', { paths: ['/pets/{petId}'], strip_path: false }]), req: req('/pets/42'), want: 't', params: { petId: '42' }, upstream: '/pets/42', stripped: null },
  { name: 'template matches whole path only', routes: rs(['t', { paths: ['/pets/{petId}'] }]), req: req('/pets/42/toys'), want: null },
  { name: 'template {x} does not match empty segment', routes: rs(['t', { paths: ['/pets/{petId}'] }]), req: req('/pets/'), want: null },
  { name: 'template {x} needs the segment', routes: rs(['t', { paths: ['/pets/{petId}'] }]), req: req('/pets'), want: null },
  { name: 'template multi params + literal', routes: rs(['t', { paths: ['/u/{uid}/posts/{pid}'], strip_path: false }]), req: req('/u/1/posts/2'), want: 't', params: { uid: '1', pid: '2' } },
  { name: 'template literal segment must be whole', routes: rs(['t', { paths: ['/u/{uid}/posts'] }]), req: req('/u/1/postsX'), want: null },
  { name: 'template {x+} one segment', routes: rs(['t', { paths: ['/files/{path+}'], strip_path: false }]), req: req('/files/a'), want: 't', params: { path: 'a' }, upstream: '/files/a' },
  { name: 'template {x+} multi-segment rest', routes: rs(['t', { paths: ['/files/{path+}'], strip_path: false }]), req: req('/files/a/b/c.txt'), want: 't', params: { path: 'a/b/c.txt' } },
  { name: 'template {x+} empty rest does not match', routes: rs(['t', { paths: ['/files/{path+}'] }]), req: req('/files/'), want: null },
  { name: 'template {x+} parent does not match', routes: rs(['t', { paths: ['/files/{path+}'] }]), req: req('/files'), want: null },
  { name: 'template {x+} trailing slash kept', routes: rs(['t', { paths: ['/files/{p+}'], strip_path: false }]), req: req('/files/a/'), want: 't', params: { p: 'a/' } },
  { name: 'template at root /{x}', routes: rs(['t', { paths: ['/{tenant}/status'], strip_path: false }]), req: req('/acme/status'), want: 't', params: { tenant: 'acme' } },
  { name: 'template with strip_path strips the whole path', routes: rs(['t', { paths: ['/pets/{id}'] }]), service: '/s', req: req('/pets/1'), want: 't', params: { id: '1' }, upstream: '/s', stripped: '/pets/1' },
  { name: 'template without strip_path forwards the path', routes: rs(['t', { paths: ['/pets/{id}'], strip_path: false }]), service: '/s', req: req('/pets/1'), want: 't', upstream: '/s/pets/1', stripped: null },

  // --- methods
  { name: 'method in set', routes: rs(['m', { paths: ['/'], methods: ['GET', 'POST'] }]), req: req('/x', { method: 'POST' }), want: 'm' },
  { name: 'method not in set', routes: rs(['m', { paths: ['/'], methods: ['GET'] }]), req: req('/x', { method: 'DELETE' }), want: null },
  { name: 'method-only route', routes: rs(['m', { methods: ['PURGE'] }]), req: req('/x', { method: 'PURGE' }), want: 'm' },

  // --- hosts
  { name: 'exact host', routes: rs(['h', { hosts: ['a.com'] }]), req: req('/', { host: 'a.com' }), want: 'h' },
  { name: 'exact host, request with port', routes: rs(['h', { hosts: ['a.com'] }]), req: req('/', { host: 'a.com:8080' }), want: 'h' },
  { name: 'exact host miss', routes: rs(['h', { hosts: ['a.com'] }]), req: req('/', { host: 'b.com' }), want: null },
  { name: 'no host header', routes: rs(['h', { hosts: ['a.com'] }]), req: req('/'), want: null },
  { name: 'host:port matches Host header port', routes: rs(['h', { hosts: ['a.com:8080'] }]), req: req('/', { host: 'a.com:8080', port: 8000 }), want: 'h' },
  { name: 'host:port vs other Host header port', routes: rs(['h', { hosts: ['a.com:8080'] }]), req: req('/', { host: 'a.com:9090', port: 8080 }), want: null },
  { name: 'host:port falls back to listener port', routes: rs(['h', { hosts: ['a.com:8000'] }]), req: req('/', { host: 'a.com', port: 8000 }), want: 'h' },
  { name: 'host:port listener port mismatch', routes: rs(['h', { hosts: ['a.com:8443'] }]), req: req('/', { host: 'a.com', port: 8000 }), want: null },
  { name: 'suffix wildcard', routes: rs(['w', { hosts: ['*.example.com'] }]), req: req('/', { host: 'api.example.com' }), want: 'w' },
  { name: 'suffix wildcard multi-label', routes: rs(['w', { hosts: ['*.example.com'] }]), req: req('/', { host: 'a.b.example.com:81' }), want: 'w' },
  { name: 'suffix wildcard needs a label', routes: rs(['w', { hosts: ['*.example.com'] }]), req: req('/', { host: 'example.com' }), want: null },
  { name: 'suffix wildcard with port', routes: rs(['w', { hosts: ['*.example.com:8443'] }]), req: req('/', { host: 'api.example.com:8443' }), want: 'w' },
  { name: 'suffix wildcard with port mismatch', routes: rs(['w', { hosts: ['*.example.com:8443'] }]), req: req('/', { host: 'api.example.com', port: 8000 }), want: null },
  { name: 'prefix wildcard', routes: rs(['w', { hosts: ['example.*'] }]), req: req('/', { host: 'example.org' }), want: 'w' },
  { name: 'prefix wildcard miss', routes: rs(['w', { hosts: ['example.*'] }]), req: req('/', { host: 'www.example.org' }), want: null },
  { name: 'prefix wildcard with port', routes: rs(['w', { hosts: ['example.*:8000'] }]), req: req('/', { host: 'example.org', port: 8000 }), want: 'w' },
  { name: 'IPv6 host header with port', routes: rs(['v6', { hosts: ['[::1]'] }]), req: req('/', { host: '[::1]:8000' }), want: 'v6' },
  { name: 'one of several hosts', routes: rs(['h', { hosts: ['a.com', '*.b.com'] }]), req: req('/', { host: 'x.b.com' }), want: 'h' },

  // --- headers
  { name: 'header exact, case-insensitive value', routes: rs(['hd', { headers: { 'x-version': ['V2'] } }]), req: req('/', { headers: { 'x-version': 'v2' } }), want: 'hd' },
  { name: 'header one of values', routes: rs(['hd', { headers: { 'x-version': ['v1', 'v2'] } }]), req: req('/', { headers: { 'x-version': 'V1' } }), want: 'hd' },
  { name: 'header missing', routes: rs(['hd', { headers: { 'x-version': ['v1'] } }]), req: req('/'), want: null },
  { name: 'header wrong value', routes: rs(['hd', { headers: { 'x-version': ['v1'] } }]), req: req('/', { headers: { 'x-version': 'v3' } }), want: null },
  { name: 'header ~* regex', routes: rs(['hd', { headers: { 'user-agent': ['~*curl/\\d'] } }]), req: req('/', { headers: { 'user-agent': 'CURL/8.0' } }), want: 'hd' },
  { name: 'header ~* regex miss', routes: rs(['hd', { headers: { 'user-agent': ['~*^curl'] } }]), req: req('/', { headers: { 'user-agent': 'wget curl' } }), want: null },
  { name: 'all headers must match', routes: rs(['hd', { headers: { a: ['1'], b: ['2'] } }]), req: req('/', { headers: { a: '1', b: '3' } }), want: null },

  // --- snis
  { name: 'sni matches', routes: rs(['s', { snis: ['a.com'] }]), req: req('/', { sni: 'a.com' }), want: 's' },
  { name: 'sni mismatch', routes: rs(['s', { snis: ['a.com'] }]), req: req('/', { sni: 'b.com' }), want: null },
  { name: 'sni ignored on plain http (Kong)', routes: rs(['s', { snis: ['a.com'] }]), req: req('/', { sni: null }), want: 's' },
  { name: 'sni trailing dot ignored', routes: rs(['s', { snis: ['a.com.'] }]), req: req('/', { sni: 'a.com' }), want: 's' },

  // --- upgrade / protocols
  { name: 'ws-only route needs upgrade', routes: rs(['ws', { paths: ['/ws'], protocols: ['ws', 'wss'] }]), req: req('/ws'), want: null },
  { name: 'ws-only route with upgrade', routes: rs(['ws', { paths: ['/ws'], protocols: ['ws', 'wss'] }]), req: req('/ws', { upgrade: true }), want: 'ws' },
  { name: 'http route also takes upgrades', routes: rs(['h', { paths: ['/ws'] }]), req: req('/ws', { upgrade: true }), want: 'h' },
  { name: 'https-only route still matches (proxy redirects)', routes: rs(['s', { paths: ['/'], protocols: ['https'] }]), req: req('/'), want: 's' },
  { name: 'ws-only loses to http route for plain request', routes: rs(['ws', { paths: ['/ws/x'], protocols: ['ws'] }], ['h', { paths: ['/ws'] }]), req: req('/ws/x'), want: 'h' },

  // --- priority (1) more attributes win
  { name: '(1) path+method beats longer path alone', routes: rs(['p', { paths: ['/a/b/c'] }], ['pm', { paths: ['/a'], methods: ['GET'] }]), req: req('/a/b/c'), want: 'pm' },
  { name: '(1) host+path beats path', routes: rs(['p', { paths: ['/a'] }], ['hp', { paths: ['/a'], hosts: ['x.com'] }]), req: req('/a', { host: 'x.com' }), want: 'hp' },
  { name: '(1) falls back when the stronger route does not match', routes: rs(['p', { paths: ['/a'] }], ['hp', { paths: ['/a'], hosts: ['x.com'] }]), req: req('/a', { host: 'y.com' }), want: 'p' },
  { name: '(1) wildcard-host+path beats plain regex path', routes: rs(['r', { paths: ['~/a'] }], ['wp', { paths: ['/a'], hosts: ['*.x.com'] }]), req: req('/a', { host: 'q.x.com' }), want: 'wp' },
  // --- (2) plain hosts beat wildcard hosts
  { name: '(2) plain host beats wildcard host', routes: rs(['w', { hosts: ['*.x.com'], paths: ['/a/b'] }], ['p', { hosts: ['api.x.com'], paths: ['/a'] }]), req: req('/a/b', { host: 'api.x.com' }), want: 'p' },
  { name: '(2) wildcard when plain misses', routes: rs(['w', { hosts: ['*.x.com'] }], ['p', { hosts: ['api.x.com'] }]), req: req('/', { host: 'web.x.com' }), want: 'w' },
  { name: '(2) mixed plain+wildcard counts as wildcard', routes: rs(['mix', { hosts: ['api.x.com', '*.y.com'] }], ['p', { hosts: ['api.x.com'] }]), req: req('/', { host: 'api.x.com' }), want: 'p' },
  // --- (3) more headers wins
  { name: '(3) two headers beat one', routes: rs(['one', { headers: { a: ['1'] }, paths: ['/long/path'] }], ['two', { headers: { a: ['1'], b: ['2'] }, paths: ['/'] }]), req: req('/long/path', { headers: { a: '1', b: '2' } }), want: 'two' },
  // --- (4) regex/template before prefix, regex_priority, lengths
  { name: '(4) regex beats longer prefix', routes: rs(['pre', { paths: ['/users/42/long'] }], ['re', { paths: ['~/users/\\d+'] }]), req: req('/users/42/long'), want: 're' },
  { name: '(4) template beats prefix', routes: rs(['pre', { paths: ['/pets/1'] }], ['t', { paths: ['/pets/{id}'] }]), req: req('/pets/1'), want: 't' },
  { name: '(4) higher regex_priority first', routes: rs(['low', { paths: ['~/a'] }], ['high', { paths: ['~/a/b'], regex_priority: 10 }]), req: req('/a/b'), want: 'high' },
  { name: '(4) higher regex_priority even if declared later', routes: rs(['r0', { paths: ['~/x'] }], ['r5', { paths: ['~/x'], regex_priority: 5 }]), req: req('/x'), want: 'r5' },
  { name: '(4) negative regex_priority below 0', routes: rs(['neg', { paths: ['~/x'], regex_priority: -1 }], ['zero', { paths: ['~/x'] }]), req: req('/x'), want: 'zero' },
  { name: '(4) regex_priority ignored for prefix paths', routes: rs(['p1', { paths: ['/a'], regex_priority: 100 }], ['p2', { paths: ['/a/b'] }]), req: req('/a/b'), want: 'p2' },
  { name: '(4) regex with regex_priority beats template', routes: rs(['t', { paths: ['/u/{id}'] }], ['r', { paths: ['~/u/'], regex_priority: 1 }]), req: req('/u/1'), want: 'r' },
  { name: '(4) template before regex at equal priority', routes: rs(['r', { paths: ['~/u/'] }], ['t', { paths: ['/u/{id}'] }]), req: req('/u/1'), want: 't' },
  { name: '(4) more literal segments first', routes: rs(['t1', { paths: ['/u/{id}/{sub}'] }], ['t2', { paths: ['/u/{id}/posts'] }]), req: req('/u/1/posts'), want: 't2' },
  { name: '(4) {x} before {x+}', routes: rs(['g', { paths: ['/f/{p+}'] }], ['s', { paths: ['/f/{p}'] }]), req: req('/f/a'), want: 's' },
  { name: '(4) {x+} takes what {x} cannot', routes: rs(['g', { paths: ['/f/{p+}'] }], ['s', { paths: ['/f/{p}'] }]), req: req('/f/a/b'), want: 'g' },
  // --- (5) file order
  { name: '(5) file order breaks ties', routes: rs(['first', { paths: ['/a'] }], ['second', { paths: ['/a'] }]), req: req('/a'), want: 'first' },
  { name: '(5) file order for equal regexes', routes: rs(['first', { paths: ['~/a'] }], ['second', { paths: ['~/a'] }]), req: req('/a'), want: 'first' },
  // --- per-path entries
  { name: 'route with several paths uses the one that matches', routes: rs(['multi', { paths: ['/x', '~/y/(?<n>\\d+)'] }]), req: req('/y/5'), want: 'multi', params: { n: '5' } },
  { name: 'longer path of another route beats shorter path of a multi-path route', routes: rs(['multi', { paths: ['/a', '/zzzzzz'] }], ['b', { paths: ['/a/b'] }]), req: req('/a/b'), want: 'b' },

  // --- exact-host bucket and "other" bucket merge
  { name: 'host bucket and other bucket merged by rank', routes: rs(['any', { paths: ['/a/b/c'], methods: ['GET'], snis: ['h.com'] }], ['hosted', { hosts: ['h.com'], paths: ['/a'] }]), req: req('/a/b/c', { host: 'h.com' }), want: 'any' },
  { name: 'plain host beats no host at equal weight', routes: rs(['any', { paths: ['/a/b/c'], methods: ['GET'] }], ['hosted', { hosts: ['h.com'], paths: ['/a'] }]), req: req('/a/b/c', { host: 'h.com' }), want: 'hosted' },
  { name: 'hosted route chosen when its bucket has the best rank', routes: rs(['any', { paths: ['/a/b/c'] }], ['hosted', { hosts: ['h.com'], paths: ['/a'] }]), req: req('/a/b/c', { host: 'h.com' }), want: 'hosted' },
];

// ---------------------------------------------------------------------------------------------
// Kong's path_handling table, every row, from
// https://developer.konghq.com/gateway/entities/route/#path-handling-algorithms
// (= https://docs.konghq.com/gateway/latest/admin-api/#path-handling-algorithms), plus the four
// rows of the older table (Kong 2.0 admin API docs, request paths without a separating slash).
// The documented "/s/fv01/" is a typo in Kong's docs; Kong's code (router/utils.lua) gives "/s/fv0/".
// ---------------------------------------------------------------------------------------------

const kongTable: Array<[string, string, boolean, 'v0' | 'v1', string, string]> = [
  // service.path, route.path, strip_path, path_handling, request path, upstream path
  ['/s', '/fv0', false, 'v0', '/fv0/req', '/s/fv0/req'],
  ['/s', '/fv0', false, 'v0', '/fv0', '/s/fv0'],
  ['/s', '/fv1', false, 'v1', '/fv1/req', '/sfv1/req'],
  ['/s', '/fv1', false, 'v1', '/fv1', '/sfv1'],
  ['/s', '/tv0', true, 'v0', '/tv0/req', '/s/req'],
  ['/s', '/tv0', true, 'v0', '/tv0', '/s'],
  ['/s', '/tv1', true, 'v1', '/tv1/req', '/s/req'],
  ['/s', '/tv1', true, 'v1', '/tv1', '/s'],
  ['/s', '/fv0/', false, 'v0', '/fv0/req', '/s/fv0/req'],
  ['/s', '/fv0/', false, 'v0', '/fv0/', '/s/fv0/'],
  ['/s', '/fv1/', false, 'v1', '/fv1/req', '/sfv1/req'],
  ['/s', '/fv1/', false, 'v1', '/fv1/', '/sfv1/'],
  ['/s', '/tv0/', true, 'v0', '/tv0/req', '/s/req'],
  ['/s', '/tv0/', true, 'v0', '/tv0/', '/s/'],
  ['/s', '/tv1/', true, 'v1', '/tv1/req', '/sreq'],
  ['/s', '/tv1/', true, 'v1', '/tv1/', '/s'],
  // Kong 2.0 docs table
  ['/s', '/fv0', false, 'v0', '/fv0req', '/s/fv0req'],
  ['/s', '/fv1', false, 'v1', '/fv1req', '/sfv1req'],
  ['/s', '/tv0', true, 'v0', '/tv0req', '/s/req'],
  ['/s', '/tv1', true, 'v1', '/tv1req', '/sreq'],
  // service.path with a trailing slash and the default "/" (branches of Kong's get_upstream_uri)
  ['/s/', '/p', true, 'v0', '/p/req', '/s/req'],
  ['/s/', '/p', true, 'v0', '/p', '/s'],
  ['/s/', '/p', true, 'v0', '/p/', '/s/'],
  ['/s/', '/p/', true, 'v0', '/p/req', '/s/req'],
  ['/s/', '/p', false, 'v0', '/p/req', '/s/p/req'],
  ['/s/', '/p', true, 'v1', '/p/req', '/s/req'],
  ['/s/', '/p', false, 'v1', '/p/req', '/s/p/req'],
  ['/', '/p', true, 'v0', '/p', '/'],
  ['/', '/p', true, 'v0', '/p/req', '/req'],
  ['/', '/p', false, 'v0', '/p/req', '/p/req'],
  ['/', '/p', true, 'v1', '/p/req', '/req'],
  ['/s', '/', false, 'v0', '/', '/s'],
  ['/s', '/', true, 'v0', '/', '/s'],
  ['/s', '/', true, 'v0', '/req', '/s/req'],
  // dot segments at the start of the postfix are dropped (Kong sanitize_uri_postfix)
  ['/s', '/p', true, 'v0', '/p..', '/s'],
];

function run(factory: RouterFactory, row: Row) {
  const svc = service(row.service === undefined ? null : row.service);
  const router = factory(row.routes, new Map([[svc.id, svc]]));
  return router.match(row.req);
}

function suite(name: string, factory: RouterFactory) {
  describe(`${name}: matching table`, () => {
    for (const row of rows) {
      it(row.name, () => {
        const m = run(factory, row);
        expect(m === null ? null : m.route.name).toBe(row.want);
        if (m === null) return;
        if (row.params !== undefined) expect(m.params).toEqual(row.params);
        if (row.upstream !== undefined) expect(m.upstreamPath).toBe(row.upstream);
        if (row.stripped !== undefined) expect(m.strippedPrefix).toBe(row.stripped);
        expect(factory(row.routes, new Map()).ordered()[m.index]).toBe(m.route);
      });
    }
  });

  describe(`${name}: Kong path_handling table`, () => {
    for (const [sp, rp, strip, ph, reqPath, want] of kongTable) {
      it(`service.path=${sp} route.path=${rp} strip_path=${strip} ${ph} ${reqPath} → ${want}`, () => {
        const m = run(factory, { name: '', routes: rs(['r', { paths: [rp], strip_path: strip, path_handling: ph }]), service: sp, req: req(reqPath), want: 'r' });
        expect(m?.upstreamPath).toBe(want);
      });
    }
    it('regex strip_path strips what the regex matched', () => {
      const m = run(factory, { name: '', routes: rs(['r', { paths: ['~/v\\d+/(?<svc>[a-z]+)'] }]), service: '/s', req: req('/v2/users/9'), want: 'r' });
      expect(m?.upstreamPath).toBe('/s/9');
      expect(m?.strippedPrefix).toBe('/v2/users');
      expect(m?.params).toEqual({ svc: 'users' });
    });
    it('route without service uses "/" as base', () => {
      const router = factory(rs(['r', { paths: ['/a'], service: null }]), new Map());
      expect(router.match(req('/a/b'))?.upstreamPath).toBe('/b');
    });
  });
}

suite('sluice router', createRouter);

// ---------------------------------------------------------------------------------------------
// fast paths of the implementation (lazy match fields, method bits)
// ---------------------------------------------------------------------------------------------

describe('lazy match fields', () => {
  const svc = new Map([['svc', service('/s')]]);

  it('params, upstreamPath and strippedPrefix agree whatever the order they are read in', () => {
    const routes = rs(['r', { paths: ['~/v\\d+/(?<svc>[a-z]+)'] }]);
    const router = createRouter(routes, svc);
    const a = router.match(req('/v2/users/9'))!;
    expect(a.upstreamPath).toBe('/s/9');
    expect(a.strippedPrefix).toBe('/v2/users');
    expect(a.params).toEqual({ svc: 'users' });
    const b = router.match(req('/v2/users/9'))!;
    expect(b.params).toEqual({ svc: 'users' });
    expect(b.strippedPrefix).toBe('/v2/users');
    expect(b.upstreamPath).toBe('/s/9');
  });

  it('repeated reads return the same objects', () => {
    const router = createRouter(rs(['t', { paths: ['/pets/{id}'] }]), svc);
    const m = router.match(req('/pets/7'))!;
    expect(m.params).toBe(m.params);
    expect(m.upstreamPath).toBe(m.upstreamPath);
    expect(m.params).toEqual({ id: '7' });
  });

  it('a later lookup does not change the params of an earlier match', () => {
    const router = createRouter(rs(['t', { paths: ['/u/{uid}/orders/{oid}'], strip_path: false }], ['f', { paths: ['/f/{p+}'], strip_path: false }]), svc);
    const first = router.match(req('/u/alice/orders/17'))!;
    const second = router.match(req('/u/bob/orders/3'))!;
    const third = router.match(req('/f/a/b'))!;
    expect(third.params).toEqual({ p: 'a/b' });
    expect(first.params).toEqual({ uid: 'alice', oid: '17' });
    expect(second.params).toEqual({ uid: 'bob', oid: '3' });
    expect(first.upstreamPath).toBe('/s/u/alice/orders/17');
  });

  it('regex without named groups and without strip_path: no params, path forwarded, nothing stripped', () => {
    const router = createRouter(rs(['r', { paths: ['~/u/(\\d+)'], strip_path: false }]), new Map());
    const m = router.match(req('/u/12/x'))!;
    expect(m.params).toBeNull();
    expect(m.strippedPrefix).toBeNull();
    expect(m.upstreamPath).toBe('/u/12/x');
  });

  it('index, route and matchedPath are plain properties', () => {
    const router = createRouter(rs(['a', { paths: ['/x', '/y'] }]), new Map());
    const m = router.match(req('/y/1'))!;
    expect(m.index).toBe(0);
    expect(m.route.name).toBe('a');
    expect(m.matchedPath).toBe('/y');
  });
});

describe('radix tree lookup against a brute-force reference', () => {
  // Prefix routes over an alphabet that makes nodes of every dispatch kind: a few children
  // (pairs), many children with close char codes (table), children with far-apart or non-ASCII
  // codes (pairs again), and labels a request may match only in part.
  const alphabet = ['/', 'a', 'b', 'c', 'd', 'e', 'f', '0', '9', 'z', 'A', '~', ' ', 'é', '中', '\u{1F600}'];
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return Math.floor((seed / 4294967296) * n);
  };
  const word = (min: number, max: number) => {
    let w = '/';
    for (let k = min + rand(max - min + 1); k > 0; k--) w += alphabet[rand(alphabet.length)];
    return w;
  };

  for (const count of [5, 60, 400]) {
    it(`${count} routes, hosted and not`, () => {
      const defs: Array<[string, Partial<Route>]> = [];
      for (let k = 0; k < count; k++) {
        const hosted = rand(4) === 0;
        defs.push([`r${k}`, { paths: [word(0, 5)], hosts: hosted ? [rand(2) === 0 ? 'h.com' : 'g.com'] : [] }]);
      }
      const routes = rs(...defs);
      const router = createRouter(routes, new Map());
      // Kong: host+path (weight 2) before path alone; then the longer prefix; then file order
      const reference = (path: string, host: string): Route | null => {
        let best: Route | null = null;
        const name = host.replace(/:\d+$/, '');
        for (const r of routes) {
          if (r.hosts.length > 0 && !r.hosts.includes(name)) continue;
          if (!path.startsWith(r.paths[0]!)) continue;
          if (best === null) { best = r; continue; }
          const dw = r.hosts.length - best.hosts.length;
          const dl = r.paths[0]!.length - best.paths[0]!.length;
          if (dw > 0 || (dw === 0 && dl > 0)) best = r;
        }
        return best;
      };
      for (let q = 0; q < 3000; q++) {
        // half the requests extend an existing route path, half are random
        const path = rand(2) === 0 ? routes[rand(routes.length)]!.paths[0]! + word(0, 3).slice(rand(2)) : word(0, 7);
        const host = ['', 'h.com', 'g.com:8080', 'x.com'][rand(4)]!;
        const got = router.match(req(path, { host }));
        const want = reference(path, host);
        if ((got?.route ?? null) !== want) expect({ path, host, got: got?.route.name ?? null }).toEqual({ path, host, got: want?.name ?? null });
        // what goes upstream (X-Forwarded-Prefix) is escaped as Kong escapes it: é → %C3%A9
        if (got !== null) expect(got.strippedPrefix).toBe(escapePath(want!.paths[0]!));
      }
    });
  }
});

describe('exact host lookup against a brute-force reference', () => {
  it('host names that are prefixes of one another, with and without ports', () => {
    let seed = 11;
    const rand = (n: number) => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return Math.floor((seed / 4294967296) * n);
    };
    const chars = ['a', 'b', '.', '-', 'c', '0', 'é'];
    const name = () => {
      let h = '';
      for (let k = 1 + rand(6); k > 0; k--) h += chars[rand(chars.length)];
      return h;
    };
    const names = [...new Set(Array.from({ length: 80 }, name))];
    const routes = rs(...names.map((h, k): [string, Partial<Route>] => [`h${k}`, { hosts: [k % 5 === 0 ? `${h}:8080` : h], paths: ['/'] }]), ['any', { paths: ['/'] }]);
    const router = createRouter(routes, new Map());
    for (let q = 0; q < 3000; q++) {
      const n = rand(3) === 0 ? name() : names[rand(names.length)]!;
      const withPort = rand(2) === 0;
      const host = withPort ? `${n}:${rand(2) === 0 ? 8080 : 9}` : n;
      const port = withPort ? Number(host.slice(host.lastIndexOf(':') + 1)) : rand(2) === 0 ? 8080 : 8000;
      const want =
        routes.find((r) => {
          const h = r.hosts[0];
          if (h === undefined) return false;
          return h.endsWith(':8080') ? h === `${n}:8080` && port === 8080 : h === n;
        }) ?? routes[routes.length - 1]!;
      const got = router.match(req('/x', { host, port }));
      if (got?.route !== want) expect({ host, port, got: got?.route.name }).toEqual({ host, port, got: want.name });
    }
  });

  it('a host name that only starts like a route host does not match it', () => {
    const router = createRouter(rs(['long', { hosts: ['api.example.com'] }], ['short', { hosts: ['api.ex'] }]), new Map());
    expect(router.match(req('/', { host: 'api.example.co' }))).toBeNull();
    expect(router.match(req('/', { host: 'api.example.comm' }))).toBeNull();
    expect(router.match(req('/', { host: 'api.example.com:443' }))?.route.name).toBe('long');
    expect(router.match(req('/', { host: 'api.ex:1' }))?.route.name).toBe('short');
    expect(router.match(req('/', { host: 'api.e' }))).toBeNull();
  });
});

describe('method bits', () => {
  // 40 distinct methods: past the 30 that get their own bit, the rest share one and are checked by name
  const many = Array.from({ length: 40 }, (_, i) => `M${i}`);
  const routes = rs(...many.map((m): [string, Partial<Route>] => [`r-${m}`, { paths: [`/${m}`], methods: [m] }]), ['any', { paths: ['/any'] }], ['two', { paths: ['/two'], methods: ['M1', 'M35'] }]);
  const router = createRouter(routes, new Map());

  it('each method matches only its own route, with or without a bit of its own', () => {
    for (const m of many) {
      expect(router.match(req(`/${m}`, { method: m }))?.route.name).toBe(`r-${m}`);
      const other = m === 'M0' ? 'M39' : 'M0';
      expect(router.match(req(`/${m}`, { method: other }))).toBeNull();
    }
    expect(router.match(req('/M31', { method: 'M32' }))).toBeNull();
    expect(router.match(req('/M31', { method: 'PATCH' }))).toBeNull();
  });

  it('a route without methods takes any method, even one no route lists', () => {
    expect(router.match(req('/any', { method: 'PATCH' }))?.route.name).toBe('any');
    expect(router.match(req('/any', { method: 'M33' }))?.route.name).toBe('any');
  });

  it('a route mixing a bit method and a shared-bit method', () => {
    expect(router.match(req('/two', { method: 'M1' }))?.route.name).toBe('two');
    expect(router.match(req('/two', { method: 'M35' }))?.route.name).toBe('two');
    expect(router.match(req('/two', { method: 'M36' }))).toBeNull();
    expect(router.match(req('/two', { method: 'M2' }))).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// ordered()
// ---------------------------------------------------------------------------------------------

describe('ordered()', () => {
  it('returns routes in priority order', () => {
    const routes = rs(
      ['prefix-short', { paths: ['/a'] }],
      ['prefix-long', { paths: ['/a/b/c'] }],
      ['regex-0', { paths: ['~/r'] }],
      ['regex-5', { paths: ['~/r'], regex_priority: 5 }],
      ['template-1lit', { paths: ['/t/{x}'] }],
      ['template-2lit', { paths: ['/t/{x}/y'] }],
      ['wild-host', { paths: ['/a'], hosts: ['*.a.com'] }],
      ['plain-host', { paths: ['/a'], hosts: ['a.com'] }],
      ['plain-host-hdr', { paths: ['/a'], hosts: ['a.com'], headers: { x: ['1'] } }],
      ['host-method', { hosts: ['b.com'], methods: ['GET'] }],
      ['catch-all', {}],
      ['tie-first', { paths: ['/z'] }],
      ['tie-second', { paths: ['/z'] }],
    );
    const names = createRouter(routes, new Map()).ordered().map((r) => r.name);
    expect(names).toEqual([
      'plain-host-hdr', // weight 3
      'plain-host', // weight 2, plain host
      'host-method', // weight 2, plain host, no path (sorted after: prefix length 0 < 2)
      'wild-host', // weight 2, wildcard
      'regex-5', // weight 1: regex by regex_priority
      'template-2lit', // templates before regexes at equal priority, more literals first
      'template-1lit',
      'regex-0',
      'prefix-long', // prefixes longest first
      'prefix-short',
      'tie-first', // ties by file order
      'tie-second',
      'catch-all', // weight 0
    ]);
  });

  it('a multi-path route is placed by its best path', () => {
    const routes = rs(['p', { paths: ['/aa'] }], ['multi', { paths: ['/b', '~/c'] }]);
    expect(createRouter(routes, new Map()).ordered().map((r) => r.name)).toEqual(['multi', 'p']);
  });
});

// ---------------------------------------------------------------------------------------------
// explain()
// ---------------------------------------------------------------------------------------------

describe('explain()', () => {
  const routes = rs(
    ['m', { paths: ['/v1'], methods: ['GET'] }],
    ['h', { paths: ['/v1'], hosts: ['b.com', '*.c.com'] }],
    ['p', { paths: ['/v1'] }],
    ['hd', { paths: ['/v2'], headers: { 'x-a': ['1'] } }],
    ['ws', { paths: ['/v2'], protocols: ['ws'] }],
    ['later', { paths: ['/v2'] }],
    ['v3', { paths: ['/v3'] }],
  );
  const router = createRouter(routes, new Map());

  it('gives a reason per route and agrees with match()', () => {
    const { match, steps } = router.explain(req('/v2/x', { method: 'POST', host: 'a.com' }));
    expect(match?.route.name).toBe('later');
    const reasons = Object.fromEntries(steps.map((s) => [s.route.name, s.reason]));
    expect(reasons['m']).toBe('method POST not in [GET]');
    expect(reasons['h']).toBe('host a.com not in [b.com, *.c.com]');
    expect(reasons['p']).toBe('path /v1 is not a prefix of /v2/x');
    expect(reasons['hd']).toBe('header x-a is missing');
    expect(reasons['ws']).toMatch(/only WebSocket/);
    expect(reasons['later']).toBe('matched path /v2');
    expect(steps.filter((s) => s.matched).map((s) => s.route.name)).toEqual(['later']);
    expect(steps.map((s) => s.route)).toEqual(router.ordered());
  });

  it('reports routes that match but lose on priority', () => {
    const { steps } = router.explain(req('/v1'));
    const byName = Object.fromEntries(steps.map((s) => [s.route.name, s]));
    expect(byName['m']!.matched).toBe(true);
    expect(byName['p']!.reason).toMatch(/higher priority/);
  });

  it('no match', () => {
    const { match, steps } = router.explain(req('/nope', { headers: { 'x-a': '2' } }));
    expect(match).toBeNull();
    expect(steps.every((s) => !s.matched)).toBe(true);
    expect(steps.find((s) => s.route.name === 'hd')!.reason).toBe('header x-a: 2 not in [1]');
  });
});

// ---------------------------------------------------------------------------------------------
// hosts written with a port
// ---------------------------------------------------------------------------------------------

describe('a host written with its port', () => {
  // the any-port routes come first in the file: file order alone would shadow the others
  const routes = rs(
    ['any', { hosts: ['api.*'] }],
    ['exact-any', { hosts: ['api.test'] }],
    ['mixed', { hosts: ['api.*:9000', 'other.*'] }],
    ['exact-port', { hosts: ['api.test:9000', 'api.dev'] }],
  );
  const router = createRouter(routes, new Map());
  const who = (host: string, port = 8000) => router.match(req('/', { host, port }))?.route.name ?? null;

  it('ranks before the same host without a port when its port is the one requested', () => {
    expect(who('api.org:9000')).toBe('mixed');
    expect(who('api.org', 9000)).toBe('mixed'); // the listener's port when the Host has none
    expect(who('api.test:9000')).toBe('exact-port');
  });

  it('leaves other ports, and the route\'s hosts without a port, to priority and file order', () => {
    expect(who('api.org:8000')).toBe('any');
    expect(who('api.test:8000')).toBe('exact-any');
    expect(who('other.org:9000')).toBe('mixed');
    expect(who('api.dev')).toBe('exact-port');
  });

  it('keeps one step per route in explain(), with the reason for the whole route', () => {
    const { match, steps } = router.explain(req('/', { host: 'other.org:8000' }));
    expect(match?.route.name).toBe('mixed');
    expect(steps.map((s) => s.route.name).sort()).toEqual(['any', 'exact-any', 'exact-port', 'mixed']);
    expect(steps.find((s) => s.route.name === 'mixed')!.reason).toBe('matched');
    expect(steps.find((s) => s.route.name === 'exact-port')!.reason).toBe('host other.org:8000 not in [api.test:9000, api.dev]');
  });
});

// ---------------------------------------------------------------------------------------------
// checkRoutePath
// ---------------------------------------------------------------------------------------------

describe('checkRoutePath', () => {
  const ok = [
    '/',
    '/v1/users',
    '/weird chars*+?',
    '~/users/(?<id>\\d+)$',
    '~/u/(?P<id>\\d+)',
    '~/(get|post)+',
    '~/a/[a-z]+/b\\d*',
    '~/x(?:/y)?',
    '~(?i)/a',
    '~(?i)/users/(?P<id>\\d+)',
    '/pets/{petId}',
    '/files/{path+}',
    '/{a}/{b}/c',
    '/u/{user_id}/x-{}'.replace('x-{}', 'x'),
  ];
  for (const p of ok) it(`accepts ${p}`, () => expect(checkRoutePath(p)).toBeNull());

  const bad: Array<[string, RegExp]> = [
    ['', /non-empty/],
    ['v1', /must start with \//],
    ['~', /empty/],
    ['~/a(b', /does not compile/],
    ['~/a[', /does not compile/],
    ['~/a(?i)b', /write \(\?i\) at the very start/],
    ['~(?s)/a.b', /not supported.*\[\\s\\S\]/],
    ['~(?-i)/a', /only a leading \(\?i\)/],
    ['~(?i:/a)', /leading \(\?i\)/],
    ['~(?x)/a', /whitespace/],
    ['~/(a+)+$', /unsafe.*nested/],
    ['~/(a*)*', /unsafe.*nested/],
    ['~/(?:\\d+/)+', /unsafe.*nested/],
    ['~/(a{1,9})*', /unsafe.*nested/],
    ['~/((a+)b)*', /unsafe.*nested/],
    ['~/(a|a)*', /unsafe.*overlapping/],
    ['~/(\\w|\\d)+', /unsafe.*overlapping/],
    ['~/(a|ab)*', /unsafe.*overlapping/],
    ['~/(a)\\1', /back-reference/],
    ['/pets/{}', /empty parameter/],
    ['/pets/{a b}', /invalid parameter name/],
    ['/pets/{1a}', /invalid parameter name/],
    ['/files/{p+}/x', /must be the last segment/],
    ['/a/{x}/{x}', /duplicate/],
    ['/a/{x}/v{n}', /must be exactly/],
    ['/{id}/{x}.json', /must be exactly/],
  ];
  for (const [p, re] of bad) it(`rejects ${JSON.stringify(p)}`, () => expect(checkRoutePath(p)).toMatch(re));

  // Braces that do not make a whole `{name}` segment are literal prefix characters, as in Kong
  // 3.0 (a corpus file has `/api/files/[a-f0-9-]{36}$` as a plain prefix path).
  const literal = ['/v{version}/x', '/{id}.json', '/a/{x', '/a/x}', '/api/files/[a-f0-9-]{36}$'];
  for (const p of literal) {
    it(`accepts ${JSON.stringify(p)} as a literal prefix`, () => {
      expect(checkRoutePath(p)).toBeNull();
      expect(pathKind(p)).toBe('prefix');
    });
  }

  it('checkRouteHeaderValue', () => {
    expect(checkRouteHeaderValue('plain')).toBeNull();
    expect(checkRouteHeaderValue('~*^curl/\\d+')).toBeNull();
    expect(checkRouteHeaderValue('~*(')).toMatch(/does not compile/);
    expect(checkRouteHeaderValue('~*(a+)+')).toMatch(/unsafe/);
  });

  it('regex literal prefixes are conservative', () => {
    expect(regexLiteralPrefix('~/users/(?<id>\\d+)')).toBe('/users/');
    expect(regexLiteralPrefix('~/a\\.b/c')).toBe('/a.b/c');
    expect(regexLiteralPrefix('~/abc?')).toBe('/ab');
    expect(regexLiteralPrefix('~/ab*')).toBe('/a');
    expect(regexLiteralPrefix('~/a{2}')).toBe('/');
    expect(regexLiteralPrefix('~^/x')).toBe('/x');
    expect(regexLiteralPrefix('~/a|/b')).toBe('');
    expect(regexLiteralPrefix('~/(a|b)')).toBe('/');
    expect(regexLiteralPrefix('~\\d')).toBe('');
  });
});
