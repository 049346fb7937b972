/**
 * Kong's router unit cases, exec() part (spec/01-unit/08-router_spec.lua at Kong commit 22246ef2):
 * requests that go through Kong's path normalisation, with the captures, stripped prefix and
 * upstream path Kong computes. Plus the regex variant of the path-handling table (lines
 * 4262-4311), which Kong runs for path_handling v0 under traditional_compatible.
 */
import { KONG_PATH_HANDLING, KONG_PATH_HANDLING_FILE } from './kong-path-handling.data.js';
import { UNIT, useCase, type Case } from './kong-cases.js';

const execUpstream = useCase({ paths: ['/my-route'] }, { paths: ['/my-route-2'] });
const execMatches = useCase(
  { hosts: ['host.com'], methods: ['GET'], paths: ['/my-route'] },
  { hosts: ['host.com'], paths: ['/my-route'] },
  { hosts: ['*.host.com'], headers: { location: ['my-location-1', 'my-location-2'] } },
  { paths: ['~/users/\\d+/profile'] },
);
const optionalGroup = useCase({ paths: ['~/(users/)?1984/(?<subpath>profile)$'] });
const named = useCase({ paths: ['~/users/(?P<user_id>\\d+)/profile/?(?P<scope>[a-z]*)'] });
const captures = useCase({ paths: ['~/users/(?P<fullname>[a-zA-Z\\s\\d%]+)/profile/?(?P<scope>[a-z]*)'] });
const prefixStrip = useCase({ paths: ['/hello'], strip_path: true });
const regexOnly = useCase({ paths: ['~/users/\\d+/profile'] });
const servicePath = useCase({ paths: ['/my-route'], service: 'path:/get' });
const encoded = useCase({ paths: ['/endel%2Fst'] });
const strip = useCase({ paths: ['/my-route', '/xx-route'], strip_path: true }, { methods: ['POST'], paths: ['/my-route', '/xx-route'], strip_path: false });
const rootStrip = useCase({ paths: ['/'], strip_path: true });
const encodedStrip = useCase({ paths: ['/endel%2Fst'], strip_path: true });
const regexStrip = useCase({ paths: ['~/users/\\d+/profile'], strip_path: true });
const regexGroupStrip = useCase({ paths: ['~/users/(\\d+)/profile'], strip_path: true });
const preserve = useCase({ preserve_host: true, hosts: ['preserve.com'] }, { preserve_host: false, hosts: ['discard.com'] });
const preservePath = useCase({ preserve_host: true, paths: ['/foo'] });
const preserveNoHost = useCase({ preserve_host: true, paths: ['/nohost'] });
const special = useCase({ paths: ['/\\d'] }, { paths: ['~/\\d+"'] });
const invalid = useCase({ paths: ['/hello'] });
const headerCase = useCase({ paths: ['/foo'], headers: { test1: ['Quote'] } });
const hostOnly = useCase({ hosts: ['example.com'], preserve_host: true });

const D = 'domain.org';

export const KONG_UNIT_EXEC: Case[] = [
  { src: `${UNIT}:3342`, routes: execUpstream, req: { path: '/my-route', host: D }, want: '1', upstream: '/my-route' },
  { src: `${UNIT}:3360`, routes: execUpstream, req: { path: '/my-route-2', host: D }, want: '2', upstream: '/my-route-2' },
  { src: `${UNIT}:3418`, routes: execMatches, req: { path: '/my-route', host: 'host.com' }, want: '1' },
  { src: `${UNIT}:3431`, routes: execMatches, req: { path: '/my-route/prefix/match', host: 'host.com' }, want: '1' },
  { src: `${UNIT}:3444`, routes: execMatches, req: { method: 'POST', path: '/my-route', host: 'host.com' }, want: '2' },
  { src: `${UNIT}:3457`, routes: execMatches, req: { host: 'test.host.com', headers: { location: 'my-location-1' } }, want: '3' },
  { src: `${UNIT}:3473`, routes: execMatches, req: { path: '/users/123/profile', host: D }, want: '4' },
  { src: `${UNIT}:3499`, routes: optionalGroup, req: { path: '/1984/profile', host: D }, want: '1', params: { subpath: 'profile' } },
  { src: `${UNIT}:3519`, routes: named, req: { path: '/users/1984/profile', host: D }, want: '1', params: { user_id: '1984', scope: '' } },
  { src: `${UNIT}:3546`, routes: named, req: { path: '/users/1984/profile/email', host: D }, want: '1', params: { user_id: '1984', scope: 'email' } },
  { src: `${UNIT}:3574`, routes: captures, req: { path: '/users/%6aohn%20doe/profile', host: D }, want: '1', params: { fullname: 'john doe', scope: '' } },
  { src: `${UNIT}:3614`, routes: prefixStrip, req: { path: '/hello/world', host: D }, want: '1', params: null, upstream: '/world' },
  { src: `${UNIT}:3633`, routes: regexOnly, req: { path: '/users/1984/profile', host: D }, want: '1', params: null },
  { src: `${UNIT}:3657`, routes: servicePath, req: { path: '/my-route', host: D }, want: '1' },
  { src: `${UNIT}:3696`, routes: execUpstream, req: { path: '/my-route', host: D }, want: '1' },
  { src: `${UNIT}:3701`, routes: execUpstream, req: { path: '/my-route-2', host: D }, want: '2' },
  { src: `${UNIT}:3719`, routes: encoded, req: { path: '/endel%2Fst', host: D }, want: '1', upstream: '/endel%2Fst' },
  // stripped paths
  { src: `${UNIT}:3755`, routes: strip, req: { path: '/my-route/hello/world', host: D }, want: '1', prefix: '/my-route', upstream: '/hello/world' },
  { src: `${UNIT}:3765`, routes: strip, req: { path: '/my-route', host: D }, want: '1', prefix: '/my-route', upstream: '/' },
  { src: `${UNIT}:3774`, routes: strip, req: { method: 'POST', path: '/my-route/hello/world', host: D }, want: '2', prefix: null, upstream: '/my-route/hello/world' },
  { src: `${UNIT}:3784`, routes: strip, req: { method: 'POST', path: '/my-route/hello/world', host: D }, want: '2', prefix: null, upstream: '/my-route/hello/world' },
  { src: `${UNIT}:3808`, routes: rootStrip, req: { method: 'POST', path: '/my-route/hello/world', host: D }, want: '1', prefix: '/', upstream: '/my-route/hello/world' },
  ...[3818, 3825, 3834, 3848].map((line): Case => ({ src: `${UNIT}:${line}`, routes: strip, req: { path: '/my-route', host: D }, want: '1', prefix: '/my-route', upstream: '/' })),
  ...[3841, 3855].map((line): Case => ({ src: `${UNIT}:${line}`, routes: strip, req: { path: '/xx-route', host: D }, want: '1', prefix: '/xx-route', upstream: '/' })),
  { src: `${UNIT}:3876`, routes: encodedStrip, req: { path: '/endel%2Fst', host: D }, want: '1', prefix: '/endel%2Fst', upstream: '/' },
  { src: `${UNIT}:3897`, routes: regexStrip, req: { path: '/users/123/profile/hello/world', host: D }, want: '1', prefix: '/users/123/profile', upstream: '/hello/world' },
  { src: `${UNIT}:3918`, routes: regexGroupStrip, req: { path: '/users/123/profile/hello/world', host: D }, want: '1', prefix: '/users/123/profile', upstream: '/hello/world' },
  // preserve Host header: the route (the Host sent upstream is the proxy's: test/e2e/proxy.test.ts)
  { src: `${UNIT}:3966`, routes: preserve, req: { host: 'preserve.com' }, want: '1' },
  { src: `${UNIT}:3974`, routes: preserve, req: { host: 'preserve.com:123' }, want: '1' },
  { src: `${UNIT}:3982`, routes: preserve, req: { host: 'preserve.com' }, want: '1' },
  { src: `${UNIT}:4004`, routes: preservePath, req: { path: '/foo', host: 'preserve.com' }, want: '1' },
  { src: `${UNIT}:4031`, routes: preserveNoHost, req: { path: '/nohost', host: 'domain1.com' }, want: '1' },
  { src: `${UNIT}:4037`, routes: preserveNoHost, req: { path: '/nohost', host: 'domain2.com' }, want: '1' },
  { src: `${UNIT}:4049`, routes: preserve, req: { host: 'discard.com' }, want: '2' },
  { src: `${UNIT}:4057`, routes: preserve, req: { host: 'discard.com' }, want: '2' },
  // Kong's router gives these paths unescaped; its proxy escapes them (`"` and `\`) on the way out
  { src: `${UNIT}:4341`, routes: special, req: { path: '/\\d', host: D }, want: '1', upstream: '/\\d' },
  { src: `${UNIT}:4357`, routes: special, req: { path: '/123"', host: D }, want: '2', upstream: '/123"' },
  { src: `${UNIT}:4391`, routes: invalid, req: { path: '/\xfc\x80\x80\x80\x80\xaf'.replace(/[\x80-\xff]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()), host: 'example.org' }, want: null },
  { src: `${UNIT}:5094`, routes: headerCase, req: { path: '/foo', headers: { test1: 'QUOTE' } }, want: '1' },
  { src: `${UNIT}:5110`, routes: headerCase, req: { path: '/foo', headers: { test1: 'QuoTe' } }, want: '1' },
  { src: `${UNIT}:5138`, routes: hostOnly, req: { path: '/foo', host: 'example.com' }, want: '1', upstream: '/foo' },
  { src: `${UNIT}:5150`, routes: hostOnly, req: { path: '/bar', host: 'example.com' }, want: '1', upstream: '/bar' },
  // #slash handling, regex variant: each fixture row's route path p becomes `~/[0]?` + p without
  // its leading slash; v0 only under traditional_compatible
  ...KONG_PATH_HANDLING.filter((row) => row[2] !== null && row[4].includes('v0')).flatMap(([line, servicePath, routePath, strips, , requestPath, expected]) =>
    strips.map((s): Case => ({
      src: `${UNIT}:4299 (regex) × ${KONG_PATH_HANDLING_FILE}:${line} strip_path ${s} ${requestPath}`,
      routes: useCase({ paths: ['~/[0]?' + routePath!.slice(1)], hosts: ['localbin.com'], strip_path: s, service: `path:${servicePath}` }),
      req: { path: requestPath, host: 'localbin.com' },
      want: '1',
      upstream: expected,
    })),
  ),
];
