/**
 * Kong's router unit cases, select() part (spec/01-unit/08-router_spec.lua at Kong commit
 * 22246ef2): the use cases' routes, the request, and the route Kong's traditional_compatible
 * router selects. Written as data; see kong.test.ts for how a case runs.
 */
import { UNIT, useCase, type Case } from './kong-cases.js';

// describe("select()"): the 15-route use case (lines 150-366)
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

// [uri prefix] (lines 787-996)
const longer = useCase({ paths: ['/my-route/hello'] }, { paths: ['/my-route'] });
const longerMethods = useCase({ methods: ['POST', 'PUT', 'GET'], paths: ['/my-route'] }, { methods: ['POST', 'PUT', 'GET'], paths: ['/my-route/hello'] });
const longerHosts = useCase({ hosts: ['domain.org'], paths: ['/my-route'] }, { hosts: ['domain.org'], paths: ['/my-route/hello'] });
const otherHostLonger = useCase({ hosts: ['example.com'], paths: ['/my-route'] }, { hosts: ['example.com'], paths: ['/my-route/hello'] }, { hosts: ['example.net'], paths: ['/my-route/hello/world'] });
const anchored = useCase({ paths: ['/something/my-route'] }, { hosts: ['example.com'], paths: ['/my-route'] });

// [uri regex] (lines 998-1181)
const regexOnly = useCase({ paths: ['~/users/\\d+/profile'] });
const persons = useCase({ paths: ['~/route/persons/\\d{3}'] }, { paths: ['~/route/persons/\\d{3}/following'] }, { paths: ['~/route/persons/\\d{3}/[a-z]+'] });
const regexOverPrefix = useCase({ paths: ['/route/persons'] }, { paths: ['~/route/persons/\\d+/profile'] });
const regexOverExact = useCase({ paths: ['/route/fixture'] }, { paths: ['~/route/(fixture)'] });
const regexHost = useCase({ hosts: ['route.com'], paths: ['/pat'] }, { hosts: ['route.com'], paths: ['/path'], methods: ['POST'] }, { hosts: ['route.com'], paths: ['~/(path)'] });
const regexAnchored = useCase({ paths: ['~/prefix/[0-9]+'] });

// [wildcard host] (lines 1183-1577): the two-route use case, and the routes tests add to it
const wild = [{ hosts: ['*.route.com'] }, { hosts: ['route.*'] }];
const wildUC = useCase(...wild);
const wildPorts = useCase(...wild, { hosts: ['*.route.net:123'] }, { hosts: ['route.*:123'] });
const wild80 = useCase(...wild, { hosts: ['route.*:80'] });
const wild443 = useCase(...wild, { hosts: ['route.*:443'] });
const wildPlain = useCase({ hosts: ['plain.route.com'] }, ...wild, { hosts: ['route.com'] });
const wildPath = useCase({ hosts: ['*.route.com'], paths: ['/path1'] }, { hosts: ['plain.route.com'], paths: ['/path2'] });
const wildPortWeight = useCase({ hosts: ['route.*'] }, { hosts: ['route.*:80', 'route.com.*'] });
const wildPortOver = useCase({ hosts: ['route.*'] }, { hosts: ['route.*:123'] }, { hosts: ['route.*:80'] });
const wildMethod = useCase(...wild, { hosts: ['*.domain.com', 'example.com'], paths: ['/path'], methods: ['GET', 'TRACE'] });
const wildRegex = useCase({ hosts: ['*.example.com'], paths: ['~/users/\\d+/profile'] }, { hosts: ['*.example.com'], paths: ['/users'] });

// [headers], [wildcard sni] (lines 1613-1798)
const headersFirst = useCase(
  { headers: { version: ['v1', 'v2'], user_agent: ['foo', 'bar'] } },
  { headers: { version: ['v1', 'v2'], user_agent: ['foo', 'bar'], location: ['east', 'west'] } },
);
const upperNames = useCase({ headers: { USER_AGENT: ['foo', 'bar'] } }, { headers: { user_agent: ['baz'] } });
const upperValues = useCase({ headers: { user_agent: ['foo', 'bar'] } }, { headers: { user_agent: ['BAZ'] } });
const wildSni = useCase({ snis: ['*.sni.test'] }, { snis: ['sni.*'] });

// normalization stopgap measurements (lines 2384-2489): route paths written with escapes
const stopgap = useCase(
  { paths: ['/plain/a.b.c'] },
  { paths: ['/plain/a.b%58c'] },
  { paths: ['~/reg%65x/\\d+'] },
  { paths: ['~/regex-meta/%5Cd\\+%2E'] },
  { paths: ['~/regex-reserved%2Fabc'] },
);

// describe("edge-cases") (lines 2491-2915)
const edge = select.slice(0, 7);
const halfUriHost = useCase({ hosts: ['host1.com'], paths: ['/v1/path'] }, { hosts: ['host2.com'], paths: ['/'] });
const halfWildMethod = useCase({ hosts: ['host.*'], methods: ['GET'] }, { hosts: ['host.*'], methods: ['POST'] });
const halfRegexMethod = useCase({ methods: ['GET'], paths: ['~/users/\\d+/profile'] }, { methods: ['POST'], paths: ['~/users/\\d*/profile'] });
const methodVsPrefix = useCase({ methods: ['GET'] }, { paths: ['/example'] });
const methodVsWildHost = useCase({ methods: ['GET'] }, { hosts: ['domain.*'] });
/** The select() use case with a route for "/" inserted first (line 2772). */
const withRoot = useCase({ paths: ['/'] }, ...select.map(({ paths, methods, hosts, headers, service }) => ({ paths, methods, hosts, headers, service })));
/** The select() use case plus five identical [host + uri] routes and a target (line 2813). */
const sameCategory = useCase(
  ...select.map(({ paths, methods, hosts, headers, service }) => ({ paths, methods, hosts, headers, service })),
  ...Array.from({ length: 5 }, () => ({ hosts: ['domain.org'], paths: ['/my-uri'] })),
  { hosts: ['domain.org'], paths: ['/my-target-uri'] },
);
const moreHeaders = useCase({ headers: { version: ['v1'] }, paths: ['/my-route/hello'] }, { headers: { version: ['v1'], location: ['us-east'] }, paths: ['/my-route'] });

// [both regex and prefix with regex_priority], [both regex and prefix], [overlapping prefixes]
// (lines 4889-5051)
const prefixIgnoresPriority = useCase(
  { paths: ['/.*'], hosts: ['domain-1.org'] },
  { paths: ['/'], hosts: ['domain-2.org'], regex_priority: 5 },
  { paths: ['/v1'], hosts: ['domain-2.org'] },
);
const regexAndPrefix = useCase({ paths: ['~/some/thing/else', '/foo'], hosts: ['domain-1.org'] }, { paths: ['/foo/bar'], hosts: ['domain-1.org'] });
const overlapping = useCase({ paths: ['/foo', '/foo/bar/baz'], hosts: ['domain-1.org'] }, { paths: ['/foo/bar'], hosts: ['domain-1.org'] });

const LOC_BAD = { location: 'invalid-location' };

export const KONG_UNIT_SELECT: Case[] = [
  { src: `${UNIT}:377`, routes: select, req: { host: 'domain-1.org' }, want: '1' },
  { src: `${UNIT}:390`, routes: select, req: { host: 'domain-1.org:80' }, want: '1' },
  // routes 1 and 13 have the same priority: the host written with the matching port ranks first
  { src: `${UNIT}:413`, routes: select, req: { host: 'domain-1.org:321' }, want: '13' },
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
  // [uri prefix]
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
  { src: `${UNIT}:915`, routes: longerHosts, req: { path: '/my-route/hello/world', host: 'domain.org' }, want: '2' },
  { src: `${UNIT}:919`, routes: longerHosts, req: { path: '/my-route', host: 'domain.org' }, want: '1' },
  { src: `${UNIT}:923`, routes: longerHosts, req: { path: '/my-route/world', host: 'domain.org' }, want: '1' },
  { src: `${UNIT}:958`, routes: otherHostLonger, req: { path: '/my-route/hello/world', host: 'example.com' }, want: '2' },
  { src: `${UNIT}:962`, routes: otherHostLonger, req: { path: '/my-route/hello/world/and/goodnight', host: 'example.com' }, want: '2' },
  { src: `${UNIT}:988`, routes: anchored, req: { path: '/something/my-route', host: 'example.com' }, want: '1' },
  // [uri regex]
  { src: `${UNIT}:1012`, routes: regexOnly, req: { path: '/users/123/profile', host: 'domain.org' }, want: '1', params: null },
  { src: `${UNIT}:1050`, routes: persons, req: { path: '/route/persons/456', host: 'domain.org' }, want: '1' },
  { src: `${UNIT}:1075`, routes: regexOverPrefix, req: { path: '/route/persons/123/profile', host: 'domain.org' }, want: '2', params: null },
  { src: `${UNIT}:1107`, routes: regexOverExact, req: { path: '/route/fixture', host: 'domain.org' }, want: '2' },
  { src: `${UNIT}:1148`, routes: regexHost, req: { path: '/path', host: 'route.com' }, want: '3' },
  { src: `${UNIT}:1172`, routes: regexAnchored, req: { path: '/prefix/123', host: 'domain.org' }, want: '1' },
  { src: `${UNIT}:1178`, routes: regexAnchored, req: { path: '/extra/prefix/123', host: 'domain.org' }, want: null },
  // [wildcard host]
  { src: `${UNIT}:1208`, routes: wildUC, req: { host: 'foo.route.com' }, want: '1', params: null },
  { src: `${UNIT}:1220`, routes: wildUC, req: { host: 'route.org' }, want: '2' },
  { src: `${UNIT}:1226`, routes: wildUC, req: { host: 'route.org:123' }, want: '2' },
  { src: `${UNIT}:1230`, routes: wildUC, req: { host: 'foo.route.com:123' }, want: '1' },
  { src: `${UNIT}:1259`, routes: wildPorts, req: { host: 'foo.route.net:123' }, want: '3' },
  { src: `${UNIT}:1264`, routes: wildPorts, req: { host: 'foo.route.net:456' }, want: null },
  { src: `${UNIT}:1267`, routes: wildPorts, req: { host: 'route.org:123' }, want: '4' },
  { src: `${UNIT}:1288`, routes: wild80, req: { host: 'route.org:123' }, want: '2' },
  { src: `${UNIT}:1292`, routes: wild80, req: { host: 'route.org:80' }, want: '3' },
  { src: `${UNIT}:1318`, routes: wild443, req: { host: 'route.org:123' }, want: '2' },
  { src: `${UNIT}:1322`, routes: wild443, req: { host: 'route.org:443' }, want: '3' },
  { src: `${UNIT}:1357`, routes: wildPlain, req: { host: 'route.com' }, want: '4' },
  { src: `${UNIT}:1367`, routes: wildPlain, req: { host: 'route.org' }, want: '3' },
  { src: `${UNIT}:1377`, routes: wildPlain, req: { host: 'plain.route.com' }, want: '1' },
  { src: `${UNIT}:1387`, routes: wildPlain, req: { host: 'foo.route.com' }, want: '2' },
  { src: `${UNIT}:1420`, routes: wildPath, req: { path: '/path1', host: 'plain.route.com' }, want: '1' },
  { src: `${UNIT}:1453`, routes: wildPath, req: { path: '/path2', host: 'plain.route.com' }, want: '2' },
  { src: `${UNIT}:1484`, routes: wildPortWeight, req: { host: 'route.org:80' }, want: '2' },
  { src: `${UNIT}:1523`, routes: wildPortOver, req: { host: 'route.org:123' }, want: '2' },
  { src: `${UNIT}:1563`, routes: wildMethod, req: { method: 'POST', path: '/path', host: 'foo.domain.com' }, want: null },
  { src: `${UNIT}:1566`, routes: wildMethod, req: { path: '/path', host: 'foo.domain.com' }, want: '3' },
  { src: `${UNIT}:1570`, routes: wildMethod, req: { method: 'TRACE', path: '/path', host: 'example.com' }, want: '3' },
  { src: `${UNIT}:1574`, routes: wildMethod, req: { method: 'POST', path: '/path', host: 'foo.domain.com' }, want: null },
  { src: `${UNIT}:1602`, routes: wildRegex, req: { path: '/users/123/profile', host: 'test.example.com' }, want: '1' },
  { src: `${UNIT}:1607`, routes: wildRegex, req: { path: '/users', host: 'test.example.com' }, want: '2' },
  // [headers], [wildcard sni]
  { src: `${UNIT}:1641`, routes: headersFirst, req: { headers: { version: 'v1', user_agent: 'foo', location: ['north', 'west'] } }, want: '2' },
  { src: `${UNIT}:1641 (values joined by the proxy)`, routes: headersFirst, req: { headers: { version: 'v1', user_agent: 'foo', location: 'north, west' } }, want: '2' },
  { src: `${UNIT}:1676`, routes: upperNames, req: { headers: { user_agent: 'foo' } }, want: '1' },
  { src: `${UNIT}:1686`, routes: upperNames, req: { headers: { USER_AGENT: 'baz' } }, want: '2' },
  { src: `${UNIT}:1721`, routes: upperValues, req: { headers: { user_agent: 'FOO' } }, want: '1' },
  { src: `${UNIT}:1731`, routes: upperValues, req: { headers: { user_agent: 'baz' } }, want: '2' },
  ...['foo.sni.test', 'foo.bar.sni.test'].map((sni): Case => ({ src: `${UNIT}:1773 (${sni})`, routes: wildSni, req: { host: 'any.test', sni }, want: '1' })),
  ...['sni.foo', 'sni.foo.bar'].map((sni): Case => ({ src: `${UNIT}:1785 (${sni})`, routes: wildSni, req: { host: 'any.test', sni }, want: '2' })),
  ...['bar.sni.foo', 'foo.sni.test.bar'].map((sni): Case => ({ src: `${UNIT}:1794 (${sni})`, routes: wildSni, req: { host: 'any.test', sni }, want: null })),
  // normalization stopgap measurements: select() gets the path as written (see Case.raw)
  { src: `${UNIT}:2442`, routes: stopgap, req: { path: '/plain/a.b.c', host: 'example.com' }, want: '1', raw: true },
  { src: `${UNIT}:2447`, routes: stopgap, req: { path: '/plain/a.bXc', host: 'example.com' }, want: null, raw: true },
  { src: `${UNIT}:2449`, routes: stopgap, req: { path: '/plain/a.b%58c', host: 'example.com' }, want: '2', raw: true },
  { src: `${UNIT}:2453`, routes: stopgap, req: { path: '/plain/aab.c', host: 'example.com' }, want: null, raw: true },
  { src: `${UNIT}:2458`, routes: stopgap, req: { path: '/regex/123', host: 'example.com' }, want: null, raw: true },
  { src: `${UNIT}:2461`, routes: stopgap, req: { path: '/reg%65x/123', host: 'example.com' }, want: '3', raw: true },
  { src: `${UNIT}:2465`, routes: stopgap, req: { path: '/regex/\\d+', host: 'example.com' }, want: null, raw: true },
  { src: `${UNIT}:2470`, routes: stopgap, req: { path: '/regex-meta/123a', host: 'example.com' }, want: null, raw: true },
  { src: `${UNIT}:2473`, routes: stopgap, req: { path: '/regex-meta/\\d+.', host: 'example.com' }, want: null, raw: true },
  { src: `${UNIT}:2476`, routes: stopgap, req: { path: '/regex-meta/%5Cd+%2E', host: 'example.com' }, want: '4', raw: true },
  { src: `${UNIT}:2482`, routes: stopgap, req: { path: '/regex-reserved/abc', host: 'example.com' }, want: null, raw: true },
  { src: `${UNIT}:2485`, routes: stopgap, req: { path: '/regex-reserved%2Fabc', host: 'example.com' }, want: '5', raw: true },
  // edge-cases
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
  { src: `${UNIT}:2856`, routes: sameCategory, req: { path: '/my-target-uri', host: 'domain.org' }, want: '21' },
  { src: `${UNIT}:2889`, routes: moreHeaders, req: { path: '/my-route/hello', host: 'domain.org', headers: { version: 'v1', location: 'us-east' } }, want: '2' },
  // Kong's call passes "http" where the host goes; the route has no hosts, so it still matches
  { src: `${UNIT}:2902`, routes: moreHeaders, req: { path: '/my-route/hello/world', host: 'http', headers: { version: 'v1', location: 'us-east' } }, want: '2' },
  // misses
  { src: `${UNIT}:2919`, routes: select, req: { host: 'domain-3.org' }, want: null },
  { src: `${UNIT}:2923`, routes: select, req: { path: '/route-4', host: 'domain-3.org' }, want: null },
  { src: `${UNIT}:2927`, routes: select, req: { host: 'domain-3.org' }, want: null },
  { src: `${UNIT}:2931`, routes: select, req: { path: '/some-uri', host: 'domain-with-uri-2.org' }, want: null },
  { src: `${UNIT}:2935`, routes: select, req: { method: 'PUT', path: '/some-uri-foo', host: 'domain-with-uri-2.org' }, want: null },
  { src: `${UNIT}:2940`, routes: select, req: { path: '/some-other-prefix/my-route', host: 'domain.org' }, want: null },
  { src: `${UNIT}:2946`, routes: select, req: { headers: LOC_BAD }, want: null },
  { src: `${UNIT}:2951`, routes: select, req: { path: '/headers-uri', headers: LOC_BAD }, want: null },
  { src: `${UNIT}:2957`, routes: select, req: { method: 'PUT', path: '/headers-uri-method', headers: LOC_BAD }, want: null },
  { src: `${UNIT}:2963`, routes: select, req: { method: 'PUT', path: '/headers-host-uri-method', headers: { ...LOC_BAD, host: 'domain-with-headers-1.org' } }, want: null },
  // regex_priority, regex and prefix, overlapping prefixes
  { src: `${UNIT}:4942`, routes: prefixIgnoresPriority, req: { path: '/v1', host: 'domain-2.org' }, want: '3' },
  { src: `${UNIT}:4994`, routes: regexAndPrefix, req: { path: '/some/thing/else', host: 'domain-1.org' }, want: '1' },
  { src: `${UNIT}:4997`, routes: regexAndPrefix, req: { path: '/foo/bar', host: 'domain-1.org' }, want: '2' },
  { src: `${UNIT}:5043`, routes: overlapping, req: { path: '/foo', host: 'domain-1.org' }, want: '1' },
  { src: `${UNIT}:5046`, routes: overlapping, req: { path: '/foo/bar', host: 'domain-1.org' }, want: '2' },
];
