/**
 * Kong's proxy router cases (spec/02-integration/05-proxy/02-router_spec.lua at Kong commit
 * 22246ef2) that a route and an upstream path decide: the routes Kong's schema makes (strip_path on
 * unless set), the request, the route Kong answers with (its `kong-route-id` or service name) and,
 * where the test checks it through the mock upstream, the path that reaches it. What only the
 * whole gateway shows (X-Forwarded-Path, query strings, the upstream Host) is in
 * test/e2e/kong-router.test.ts.
 */
import { INTEGRATION, intCase, type Case } from './kong-cases.js';

// describe("use-cases") (lines 201-281); `off:` services are disabled, so their routes are dropped
const uc = intCase(
  { methods: ['GET'], strip_path: false },
  { methods: ['POST', 'PUT'], paths: ['/post', '/put'], strip_path: false },
  { paths: ['/mock_upstream'], service: 'path:/status' },
  { paths: ['/private'], strip_path: false, service: 'path:/basic-auth/' },
  { paths: ['~/users/\\d+/profile'], service: 'path:/anything' },
  { hosts: ['serviceless-route-http.test'], service: null },
  { paths: ['/disabled-service1'], strip_path: false, service: 'off:/disabled-service-path/' },
  { paths: ['~/enabled-service/\\w+'], service: 'path:/anything/' },
  { paths: ['/enabled-service/disabled'], service: 'off:/some-path/' },
);
// URI regexes order of evaluation with regex_priority (lines 800-855)
const regexPriority = intCase(
  { paths: ['~/status/(?P<foo>re)'], service: 'path:/status/200' },
  { paths: ['~/status/(re)'], service: 'path:/status/200', regex_priority: 4 },
  { paths: ['~/status/(ab)'], service: 'path:/status/200' },
  { paths: ['~/status/(ab)c?'], service: 'path:/status/200' },
);
// URI normalization (lines 940-962)
const normalization = intCase({ paths: ['/foo/bar'] }, { paths: ['/hello'] }, { paths: ['/anything/world'], strip_path: false });
const strip = intCase({ paths: ['/x/y/z', '/z/y/x'] });
// preserve_host (lines 1138-1168)
const preserve = intCase(
  { preserve_host: true, hosts: ['preserved.com', 'preserved.com:123'], service: 'path:/request' },
  { hosts: ['discarded.com'], service: 'path:/request' },
  { strip_path: false, preserve_host: true, paths: ['/request'] },
);
const edge = intCase({ paths: ['/'] }, { paths: ['/foobar'] });
// [snis] for HTTPs connections (lines 1296-1352)
const snis = intCase(
  { snis: ['www.example.org'], protocols: ['https'] },
  { snis: ['example.org'], protocols: ['https'] },
  { snis: ['*.foo.test'], protocols: ['https'] },
  { snis: ['bar.*'], protocols: ['https'] },
);
// [#headers] (lines 1610-1842): each test makes its own routes
const byHeader = intCase({ headers: { version: ['v1', 'v2'] } }, { headers: { version: ['v3'] } });
const headerCase = intCase({ headers: { Version: ['v1', 'v2'] } }, { headers: { version: ['V3'] } });
const moreHeaders = intCase({ headers: { version: ['v1', 'v2'] } }, { headers: { version: ['v3'], location: ['us-east'] } }, { headers: { version: ['v3'] } });
const cached = intCase({ hosts: ['example.test'], paths: ['/test'], headers: { headertest: ['itsatest'] } }, { hosts: ['example.test'], paths: ['/test'] });
const pathsHeaders = intCase(
  { headers: { version: ['v1', 'v2'] }, paths: ['/root'] },
  { headers: { version: ['v1', 'v2'] }, paths: ['/root/fixture'] },
  { headers: { version: ['v1', 'v2'], location: ['us-east'] }, paths: ['/root'] },
);
// [paths] + [methods] (lines 2048-2232)
const pathsMethods = intCase(
  { methods: ['GET'], paths: ['/unrelated/longer/uri/that/should/not/match', '/root/fixture'], hosts: ['ahost.test'], service: 'path:/status/201' },
  { methods: ['GET'], paths: ['/root/fixture/get'], hosts: ['ahost.test'], service: 'path:/status/202' },
  { methods: ['GET'], paths: ['/root/fixture/get'], hosts: ['anotherhost.test'], service: 'path:/status/203' },
  { methods: ['GET'], paths: ['/root/fixture/get'], hosts: ['onemorehost.test'], service: 'path:/status/204' },
  { paths: ['/rest/devportal/api/v1', '/rest/devportal'], hosts: ['api.local'], service: 'path:/status/205' },
  { paths: ['/rest/devportal/aux'], hosts: ['api.local'], service: 'path:/status/206' },
  { paths: ['/rest/devportal/aux'], hosts: ['test-api.local'], service: 'path:/status/207' },
  { paths: ['/rest/devportal/aux'], hosts: ['atest-api.local'], service: 'path:/status/208' },
  { paths: ['/rest/devportal'], hosts: ['atest-api.local'], service: 'path:/status/209' },
  { paths: ['/concat_test/devportal/api/v1', '/concat_test/devportal'], hosts: ['api.local'] },
  { paths: ['/concat_test/devportal/aux'], hosts: ['api.local'] },
  { paths: ['/concat_test/devportal/aux'], hosts: ['test-api.local'] },
  { paths: ['/concat_test/devportal/aux'], hosts: ['atest-api.local'] },
  { paths: ['/concat_test/devportal'], hosts: ['atest-api.local'] },
);
const nilPriority = intCase({ methods: ['GET'], regex_priority: 1 }, { methods: ['POST', 'PUT'], regex_priority: 0 });
const oneRoute = intCase({ methods: ['GET'], strip_path: false });
const specialEscape = intCase({ paths: ['~/delay/(?<delay>[^\\/]+)$'], service: null }, { paths: ['/foo'], service: null });

const H = 'localhost';

export const KONG_INTEGRATION: Case[] = [
  { src: `${INTEGRATION}:187`, routes: [], req: { host: 'inexistent.com' }, want: null },
  { src: `${INTEGRATION}:286`, routes: uc, req: { host: 'serviceless-route-http.test' }, want: '6' },
  { src: `${INTEGRATION}:299`, routes: uc, req: { host: 'serviceless-route-http.test', sni: 'localhost' }, want: '6' },
  { src: `${INTEGRATION}:313`, routes: uc, req: { method: 'POST', path: '/post', host: H }, want: '2', upstream: '/post' },
  { src: `${INTEGRATION}:326`, routes: uc, req: { method: 'DELETE', path: '/post', host: H }, want: null },
  { src: `${INTEGRATION}:339`, routes: uc, req: { path: '/get', host: H }, want: '1', upstream: '/get' },
  // HTTP/1.0 without a Host header
  { src: `${INTEGRATION}:365`, routes: uc, req: { path: '/get', host: '' }, want: '1' },
  { src: `${INTEGRATION}:407`, routes: uc, req: { path: '/mock_upstream/201', host: H }, want: '3', upstream: '/status/201' },
  { src: `${INTEGRATION}:422`, routes: uc, req: { path: '/private/passwd', host: H }, want: '4', upstream: '/basic-auth/private/passwd' },
  // Kong's 404 comes from the upstream: the GET-only route 1 takes it as it is
  { src: `${INTEGRATION}:436`, routes: uc, req: { path: '/users/foo/profile', host: H }, want: '1', upstream: '/users/foo/profile' },
  { src: `${INTEGRATION}:444`, routes: uc, req: { path: '/users/123/profile', host: H }, want: '5', upstream: '/anything' },
  // the route of a disabled service is gone: route 1 takes the request (the upstream answers 404)
  { src: `${INTEGRATION}:459`, routes: uc, req: { path: '/disabled-service1', host: H }, want: '1', upstream: '/disabled-service1' },
  { src: `${INTEGRATION}:469`, routes: uc, req: { path: '/enabled-service/disabled', host: H }, want: '8' },
  { src: `${INTEGRATION}:857`, routes: regexPriority, req: { path: '/status/re', host: H }, want: '2', upstream: '/status/200' },
  { src: `${INTEGRATION}:965`, routes: normalization, req: { path: '/foo/a/../bar', host: H }, want: '1', upstream: '/' },
  { src: `${INTEGRATION}:981`, routes: normalization, req: { path: '/foo//bar', host: H }, want: '1', upstream: '/' },
  { src: `${INTEGRATION}:997`, routes: normalization, req: { path: '/foo/./bar', host: H }, want: '1', upstream: '/' },
  { src: `${INTEGRATION}:1013`, routes: normalization, req: { path: '/h%65llo', host: H }, want: '2', upstream: '/' },
  { src: `${INTEGRATION}:1029`, routes: normalization, req: { path: '/h%65llo/anything/a/../b', host: H }, want: '2', upstream: '/anything/b' },
  { src: `${INTEGRATION}:1045`, routes: normalization, req: { path: '/anything/./a/../wor%6cd/a/../b', host: H }, want: '3', upstream: '/anything/world/b' },
  { src: `${INTEGRATION}:1061`, routes: normalization, req: { path: '/anything/world/cat%20and%20dog', host: H }, want: '3', upstream: '/anything/world/cat%20and%20dog' },
  ...[1095, 1115, 1125].map((line): Case => ({ src: `${INTEGRATION}:${line}`, routes: strip, req: { path: '/x/y/z/get', host: H }, want: '1', upstream: '/get' })),
  { src: `${INTEGRATION}:1105`, routes: strip, req: { path: '/z/y/x/get', host: H }, want: '1', upstream: '/get' },
  { src: `${INTEGRATION}:1172`, routes: preserve, req: { path: '/get', host: 'discarded.com' }, want: '2', upstream: '/request/get' },
  { src: `${INTEGRATION}:1185`, routes: preserve, req: { path: '/get', host: 'discarded.com' }, want: '2', upstream: '/request/get' },
  { src: `${INTEGRATION}:1200`, routes: preserve, req: { path: '/', host: 'preserved.com' }, want: '1', upstream: '/request' },
  { src: `${INTEGRATION}:1224`, routes: preserve, req: { path: '/get', host: 'preserved.com:123' }, want: '1', upstream: '/request/get' },
  { src: `${INTEGRATION}:1236`, routes: preserve, req: { path: '/get', host: 'preserved.com' }, want: '1', upstream: '/request/get' },
  { src: `${INTEGRATION}:1270`, routes: edge, req: { path: '/get', host: H }, want: '1', upstream: '/get' },
  { src: `${INTEGRATION}:1282`, routes: edge, req: { path: '/foobar/get', host: H }, want: '2', upstream: '/get' },
  { src: `${INTEGRATION}:1357`, routes: snis, req: { path: '/status/200', host: H, sni: 'www.example.org' }, want: '1', upstream: '/status/200' },
  { src: `${INTEGRATION}:1366`, routes: snis, req: { path: '/status/201', host: H, sni: 'www.example.org' }, want: '1', upstream: '/status/201' },
  { src: `${INTEGRATION}:1379`, routes: snis, req: { path: '/status/200', host: H, sni: 'example.org' }, want: '2', upstream: '/status/200' },
  { src: `${INTEGRATION}:1388`, routes: snis, req: { path: '/status/201', host: H, sni: 'example.org' }, want: '2', upstream: '/status/201' },
  ...['a.foo.test', 'a.b.foo.test'].map((sni): Case => ({ src: `${INTEGRATION}:1403 (${sni})`, routes: snis, req: { path: '/status/200', host: H, sni }, want: '3' })),
  ...['bar.x', 'bar.y.z'].map((sni): Case => ({ src: `${INTEGRATION}:1420 (${sni})`, routes: snis, req: { path: '/status/200', host: H, sni }, want: '4' })),
  { src: `${INTEGRATION}:1629`, routes: byHeader, req: { host: 'domain.test', headers: { version: 'v1' } }, want: '1' },
  { src: `${INTEGRATION}:1647`, routes: byHeader, req: { host: 'domain.test', headers: { version: 'v3' } }, want: '2' },
  { src: `${INTEGRATION}:1676`, routes: headerCase, req: { host: 'domain.test', headers: { version: 'v1' } }, want: '1' },
  { src: `${INTEGRATION}:1698`, routes: headerCase, req: { host: 'domain.test', headers: { Version: 'v3' } }, want: '2' },
  { src: `${INTEGRATION}:1737`, routes: moreHeaders, req: { host: 'domain.test', headers: { version: 'v3', location: 'us-east' } }, want: '2' },
  { src: `${INTEGRATION}:1756`, routes: moreHeaders, req: { host: 'domain.test', headers: { version: 'v3' } }, want: '3' },
  { src: `${INTEGRATION}:1794`, routes: cached, req: { path: '/test', host: 'example.test', headers: { headertest: 'itsatest' } }, want: '1' },
  { src: `${INTEGRATION}:1812`, routes: cached, req: { path: '/test', host: 'example.test' }, want: '2' },
  { src: `${INTEGRATION}:1826`, routes: cached, req: { path: '/test', host: 'example.test', headers: { headertest: 'itsatest' } }, want: '1' },
  { src: `${INTEGRATION}:1879`, routes: pathsHeaders, req: { path: '/root/fixture/get', host: H, headers: { version: 'v2', location: 'us-east' } }, want: '3', upstream: '/fixture/get' },
  { src: `${INTEGRATION}:1897`, routes: pathsHeaders, req: { path: '/root/fixture/get', host: H, headers: { version: 'v2' } }, want: '2', upstream: '/get' },
  { src: `${INTEGRATION}:2235`, routes: pathsMethods, req: { path: '/root/fixture/get', host: 'anotherhost.test' }, want: '3', upstream: '/status/203' },
  { src: `${INTEGRATION}:2252`, routes: pathsMethods, req: { path: '/', host: 'ahost.test' }, want: null },
  { src: `${INTEGRATION}:2452`, routes: nilPriority, req: { host: H }, want: '1' },
  { src: `${INTEGRATION}:2518`, routes: oneRoute, req: { path: '/get', host: H }, want: '1', upstream: '/get' },
  { src: `${INTEGRATION}:2590`, routes: specialEscape, req: { path: '/foo', host: H }, want: '2' },
];
