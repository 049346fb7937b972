import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalogue } from '../../../src/plugins/catalogue.js';
import { redactConfig } from '../../../src/config/index.js';
import { config, errors, useCatalogue, y } from './helpers.js';

// A stand-in plugin, handed to validation as its catalogue (validation receives the catalogue: no module mock).
const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    minute: { type: 'integer', minimum: 1, maximum: 1000000 },
    policy: { enum: ['local', 'redis'], default: 'local' },
    redis_password: { type: 'string', 'x-secret': true },
    headers: { type: 'array', items: { type: 'string', pattern: '^[^:]+:.*$', 'x-message': 'must look like Name:value' }, default: [] },
  },
};
const def = { name: 'fake-limit', priority: 1, schema, create: () => ({}) };
beforeAll(() => useCatalogue(new Catalogue([def])));
afterAll(() => useCatalogue(undefined));

const V = '_format_version: "3.0"';

describe('plugin config: validated against the plugin schema', () => {
  it('fills defaults and keeps scope ids', () => {
    const c = config(y(V, 'services:', '  - name: s', '    host: h', '    routes: [{name: r, paths: [/]}]', '    plugins: [{name: fake-limit, config: {minute: 5}}]', 'plugins:', '  - name: fake-limit', '    route: r'));
    expect(c.plugins).toHaveLength(2);
    expect(c.plugins[0]).toMatchObject({ name: 'fake-limit', enabled: true, config: { policy: 'local', headers: [] }, service: null, route: c.routes[0]!.id, consumer: null, consumer_group: null, protocols: ['http', 'https', 'ws', 'wss'], order: 0 });
    expect(c.plugins[1]).toMatchObject({ config: { minute: 5, policy: 'local' }, service: c.services[0]!.id, route: null, order: 1 });
  });

  it('reports config errors with the full path, at the value', () => {
    expect(errors(y(V, 'plugins:', '  - name: fake-limit', '    config:', '      minute: 0', '      polcy: redis', '      headers: ["nocolon"]'))).toEqual([
      '5:15 plugins[fake-limit].config.minute must be an integer between 1 and 1000000',
      '6:7 plugins[fake-limit].config has unknown key "polcy"; did you mean policy?',
      '7:17 plugins[fake-limit].config.headers[0] must look like Name:value',
    ]);
  });

  it('x-secret fields and vault-resolved values are secrets, redacted by redactConfig', () => {
    const c = config(y(V, 'plugins:', '  - name: fake-limit', '    config:', '      redis_password: hunter2', '      headers: ["{vault://env/HDR}"]'), { HDR: 'X-Key:abc' });
    expect(c.secrets).toEqual(expect.arrayContaining([['plugins', 0, 'config', 'redis_password'], ['plugins', 0, 'config', 'headers', 0]]));
    const r = redactConfig(c) as typeof c;
    expect(r.plugins[0]!.config).toMatchObject({ redis_password: '<redacted>', headers: ['<redacted>'] });
  });

  it('the same plugin twice in one scope is an error; in different scopes it is fine', () => {
    expect(errors(y(V, 'plugins:', '  - name: fake-limit', '  - name: fake-limit', '    consumer: c', '  - name: fake-limit', 'consumers: [{username: c}]'))).toEqual([
      '6:5 plugins[2]: plugin fake-limit is already configured for the same scope at plugins[0]',
    ]);
  });

  it('plugin protocols keep only http/https/ws/wss', () => {
    expect(config(y(V, 'plugins:', '  - name: fake-limit', '    protocols: [grpc, grpcs, http, https]')).plugins[0]!.protocols).toEqual(['http', 'https']);
  });
});
