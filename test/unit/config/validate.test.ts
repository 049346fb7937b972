import { describe, expect, it } from 'vitest';
import { config, errors, warnings, y } from './helpers.js';

const V = '_format_version: "3.0"';

describe('validate: schema errors in words, at the value', () => {
  it.each<[string, string, string[]]>([
    ['unknown key in a service', y(V, 'services:', '  - name: a', '    host: x', '  - name: b', '    hots: y'), [
      '5:5 services[b] needs url, or host (with optional protocol, port, path)',
      '6:5 services[b] has unknown key "hots"; did you mean host?',
    ]],
    ['unknown top-level key', y(V, 'servics: []'), ['2:1 top level has unknown key "servics"; did you mean services?']],
    ['port out of range', y(V, 'services:', '  - name: a', '    host: x', '    port: 70000'), ['5:11 services[a].port must be an integer between 0 and 65535']],
    ['port not a number', y(V, 'services:', '  - name: a', '    host: x', '    port: eighty'), ['5:11 services[a].port must be an integer between 0 and 65535']],
    ['path without / or ~', y(V, 'services:', '  - name: a', '    host: x', '    routes:', '      - paths: [/ok]', '      - paths: [/ok, api/v1]'), [
      '7:22 services[a].routes[1].paths[1] must start with / or ~',
    ]],
    ['bad method', y(V, 'routes:', '  - paths: [/]', '  - paths: [/]', '  - methods: [GET, "P OST"]'), ['5:20 routes[2].methods[1] must be an HTTP method name']],
    ['bad protocol', y(V, 'routes:', '  - paths: [/]', '    protocols: [http, grpc]'), ['4:23 routes[0].protocols[1] must be one of http, https, ws, wss']],
    ['bad https_redirect_status_code', y(V, 'routes:', '  - paths: [/]', '    https_redirect_status_code: 303'), ['4:33 routes[0].https_redirect_status_code must be one of 426, 301, 302, 307, 308']],
    ['wrong type', y(V, 'routes:', '  - paths: /a'), ['3:12 routes[0].paths must be a list']],
    ['bad uuid', y(V, 'services:', '  - name: a', '    id: not-a-uuid', '    host: x'), ['4:9 services[a].id must be a valid uuid']],
    ['missing required key', y(V, 'upstreams:', '  - algorithm: round-robin'), ['3:5 upstreams[0] is missing required key "name"']],
    ['bad enum in upstream', y(V, 'upstreams:', '  - name: u', '    algorithm: random'), ['4:16 upstreams[u].algorithm must be one of round-robin, consistent-hashing, least-connections']],
    ['bad healthcheck', y(V, 'upstreams:', '  - name: u', '    healthchecks:', '      active:', '        healthy: {interval: -1, sucesses: 2}'), [
      '6:29 upstreams[u].healthchecks.active.healthy.interval must be a number between 0 and 65535',
      '6:33 upstreams[u].healthchecks.active.healthy has unknown key "sucesses"; did you mean successes?',
    ]],
    ['consumer without username or custom_id', y(V, 'consumers:', '  - tags: [a]'), ['3:5 consumers[0] must set either username or custom_id']],
    ['sni neither string nor object', y(V, 'certificates:', '  - cert: c', '    key: k', '    snis: [1]'), ['5:12 certificates[0].snis[0] must be a string or a mapping']],
    ['sni object with unknown key', y(V, 'certificates:', '  - cert: c', '    key: k', '    snis: [{nam: x}]'), [
      '5:12 certificates[0].snis[0] is missing required key "name"',
      '5:13 certificates[0].snis[0] has unknown key "nam"; did you mean name?',
    ]],
    ['service ref object with two keys', y(V, 'services: [{name: s, host: h}]', 'routes:', '  - paths: [/]', '    service: {name: s, id: 6d3a1f5e-5c1c-4f2a-9a59-1c6a3c1b2e7d}'), [
      '5:14 routes[0].service must set exactly one of name, id',
    ]],
    ['url with a bad scheme', y(V, 'services:', '  - name: a', '    url: ftp://x/'), ['4:10 services[a].url must use http, https, ws or wss (got ftp)']],
    ['url that is not a URL', y(V, 'services:', '  - name: a', '    url: "http//x"'), ['4:10 services[a].url must be a URL like http://host:port/path']],
  ])('%s', (_n, text, expected) => {
    expect(errors(text)).toEqual(expected);
  });

  it('reports every error of the file at once, sorted by line', () => {
    expect(errors(y(V, 'services:', '  - name: a', '    host: x', '    port: -1', '    retries: many', 'routes:', '  - paths: [x]', 'bogus: 1'))).toEqual([
      '5:11 services[a].port must be an integer between 0 and 65535',
      '6:14 services[a].retries must be an integer between 0 and 32767',
      '8:13 routes[0].paths[0] must start with / or ~',
      '9:1 top level has unknown key "bogus"',
    ]);
  });

  it('an unknown plugin is exactly "plugin X is not supported", wherever it is', () => {
    expect(errors(y(V, 'plugins:', '  - name: acme', 'services:', '  - name: a', '    host: x', '    plugins:', '      - name: session', '    routes:', '      - paths: [/]', '        plugins: [{name: gohello}]'))).toEqual([
      '3:11 plugin acme is not supported',
      '8:15 plugin session is not supported',
      '11:26 plugin gohello is not supported',
    ]);
  });

  it('nested plugins may not restate their own scope', () => {
    expect(errors(y(V, 'services:', '  - name: a', '    host: x', '    plugins:', '      - name: cors', '        service: a'))).toEqual([
      '7:9 services[a].plugins[cors] has unknown key "service"',
    ]);
  });

  it('url wins over protocol/host/port/path, as Kong; a disagreeing field gets a warning', () => {
    const text = y(V, 'services:', '  - name: a', '    url: http://up:4000/socket', '    protocol: ws', '    host: up');
    expect(warnings(text)).toEqual(['5:15 services[a].protocol "ws" is overridden by url ("http")']);
    expect(config(text).services[0]).toMatchObject({ protocol: 'http', host: 'up', port: 4000, path: '/socket' });
  });

  it('accepts the Kong fields that exported kong.yml files carry', () => {
    expect(errors(y(
      V,
      'services:',
      '  - name: a',
      '    host: x',
      '    created_at: 1741456628',
      '    tls_verify: false',
      '    tls_verify_depth: 1',
      '    ca_certificates: []',
      '    _comment: hello',
      'routes:',
      '  - paths: [/]',
      '    service: {name: a}',
      '    sources: []',
      '    destinations: []',
      'plugins:',
      '  - name: acme',
      '    instance_name: x',
      '    protocols: [grpc, grpcs, http, https]',
      'parameters:',
      '  - key: cluster_id',
      '    value: 1b44a367-5839-4e2a-a39d-df7bacdb85e1',
    ))).toEqual(['16:11 plugin acme is not supported']);
  });
});
