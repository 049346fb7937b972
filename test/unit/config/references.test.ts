import { describe, expect, it } from 'vitest';
import { errors, y } from './helpers.js';

const V = '_format_version: "3.0"';
const SVC = ['services:', '  - name: s', '    host: h'];

describe('references: names, ids and links', () => {
  it.each<[string, string, string[]]>([
    ['duplicate service name', y(V, 'services:', '  - {name: a, host: h}', '  - {name: a, host: h}'), [
      '4:12 services[1].name: duplicate service name "a" (already used by services[0])',
    ]],
    ['duplicate route name across nested and top-level', y(V, ...SVC, '    routes: [{name: r, paths: [/a]}]', 'routes:', '  - {name: r, paths: [/b]}'), [
      '7:12 routes[r].name: duplicate route name "r" (already used by services[s].routes[r])',
    ]],
    ['duplicate consumer username and custom_id', y(V, 'consumers:', '  - {username: u, custom_id: c}', '  - {username: u, custom_id: c}'), [
      '4:16 consumers[1].username: duplicate consumer username "u" (already used by consumers[0])',
      '4:30 consumers[1].custom_id: duplicate consumer custom_id "c" (already used by consumers[0])',
    ]],
    ['duplicate id', y(V, 'services:', '  - {name: a, host: h, id: 6d3a1f5e-5c1c-4f2a-9a59-1c6a3c1b2e7d}', '  - {name: b, host: h, id: 6d3a1f5e-5c1c-4f2a-9a59-1c6a3c1b2e7d}'), [
      '4:28 services[b].id: duplicate service id "6d3a1f5e-5c1c-4f2a-9a59-1c6a3c1b2e7d" (already used by services[a])',
    ]],
    ['route → unknown service', y(V, 'routes:', '  - paths: [/]', '    service: nope'), ['4:14 routes[0].service refers to unknown service "nope"']],
    ['route → service by name, object and id all resolve', y(V, 'services:', '  - {name: s, host: h, id: 6d3a1f5e-5c1c-4f2a-9a59-1c6a3c1b2e7d}', 'routes:', '  - {paths: [/a], service: s}', '  - {paths: [/b], service: {name: s}}', '  - {paths: [/c], service: 6d3a1f5e-5c1c-4f2a-9a59-1c6a3c1b2e7d}', '  - {paths: [/d], service: {id: 6d3a1f5e-5c1c-4f2a-9a59-1c6a3c1b2e7d}}'), []],
    ['route without any match attribute', y(V, 'routes:', '  - name: r'), ['3:5 routes[r] must set at least one of paths, methods, hosts, headers, snis']],
    ['plugin scopes must exist', y(V, 'plugins:', '  - name: acme', '    service: s1', '    route: r1', '    consumer: c1', '    consumer_group: g1'), [
      '3:11 plugin acme is not supported',
      '4:14 plugins[acme].service refers to unknown service "s1"',
      '5:12 plugins[acme].route refers to unknown route "r1"',
      '6:15 plugins[acme].consumer refers to unknown consumer "c1"',
      '7:21 plugins[acme].consumer_group refers to unknown consumer group "g1"',
    ]],
    ['duplicate plugin in the same scope', y(V, ...SVC, '    plugins: [{name: acme}]', 'plugins:', '  - {name: acme, service: s}', '  - {name: acme}'), [
      '5:15 services[s].plugins[acme]: plugin acme is already configured for the same scope at plugins[0]',
      '5:22 plugin acme is not supported',
      '7:12 plugin acme is not supported',
      '8:12 plugin acme is not supported',
    ]],
    ['credential → unknown consumer', y(V, 'keyauth_credentials:', '  - {key: k, consumer: ghost}'), ['3:24 keyauth_credentials[0].consumer refers to unknown consumer "ghost"']],
    ['key-auth keys are unique across consumers, and never echoed', y(V, 'consumers:', '  - username: a', '    keyauth_credentials: [{key: sekret}]', '  - username: b', '    keyauth_credentials: [{key: sekret}]'), [
      '6:33 consumers[b].keyauth_credentials[0].key: duplicate key-auth key (already used by consumers[a].keyauth_credentials[0])',
    ]],
    ['basic-auth usernames are unique', y(V, 'consumers:', '  - username: a', '    basicauth_credentials: [{username: x, password: p}]', 'basicauth_credentials:', '  - {username: x, password: q, consumer: a}'), [
      '6:16 basicauth_credentials[0].username: duplicate basic-auth username "x" (already used by consumers[a].basicauth_credentials[0])',
    ]],
    ['jwt keys and hmac usernames are unique', y(V, 'consumers:', '  - username: a', '    jwt_secrets: [{key: k, secret: s}, {key: k, secret: t}]', '    hmacauth_credentials: [{username: h, secret: s}, {username: h, secret: t}]'), [
      '4:46 consumers[a].jwt_secrets[1].key: duplicate jwt key "k" (already used by consumers[a].jwt_secrets[0])',
      '5:65 consumers[a].hmacauth_credentials[1].username: duplicate hmac-auth username "h" (already used by consumers[a].hmacauth_credentials[0])',
    ]],
    ['jwt RS256 needs a public key', y(V, 'consumers:', '  - username: a', '    jwt_secrets: [{key: k, algorithm: RS256}]'), ['4:19 consumers[a].jwt_secrets[0] must set rsa_public_key for algorithm RS256']],
    ['target → unknown upstream; duplicate targets', y(V, 'upstreams:', '  - name: u', '    targets: [{target: "a:80"}, {target: "a:80"}]', 'targets:', '  - {target: "b:80", upstream: nope}'), [
      '4:42 upstreams[u].targets[1].target: duplicate target "a:80" (already in upstreams[u].targets[0])',
      '6:32 targets[b:80].upstream refers to unknown upstream "nope"',
    ]],
    ['consumer groups must exist', y(V, 'consumer_groups: [{name: gold}]', 'consumers:', '  - {username: a, groups: [gold, silver]}'), ['4:34 consumers[a].groups[1] refers to unknown consumer group "silver"']],
    ['an SNI belongs to one certificate', y(V, 'certificates:', '  - {cert: c, key: k, snis: [a.example]}', '  - {cert: c, key: k, snis: [{name: A.example}]}'), [
      '4:30 certificates[1].snis[0]: duplicate SNI "A.example" (already in certificates[0].snis[0])',
    ]],
  ])('%s', (_n, text, expected) => {
    expect(errors(text)).toEqual(expected);
  });

  it('route paths go through the router\'s safety check (checkRoutePath)', () => {
    const errs = errors(y(V, 'routes:', '  - paths: ["~/(a+)+$", "/pets/{id}", "/files/{p+}", "/x/{a}/{a}"]'));
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatch(/^3:13 routes\[0\]\.paths\[0\]: regex path "~\/\(a\+\)\+\$" is unsafe/);
    expect(errs[1]).toMatch(/^3:54 routes\[0\]\.paths\[3\]: duplicate parameter name \{a\}/);
  });
});
