/**
 * Issue 19 item 8: schemas/gateway.schema.json as an editor uses it (JSON Schema draft-07, as
 * VS Code's YAML extension reads it): it compiles in strict ajv, every valid file of the Kong
 * corpus and the repository passes, and typo'd plugin names and configs fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigFile } from '../../../src/config/index.js';
import { migrate } from '../../../src/config/migrate.js';
import { configFiles, repoRoot } from './helpers.js';

const dir = join(repoRoot, 'schemas');

const require = createRequire(import.meta.url);
const Ajv = (require('ajv') as { default: typeof import('ajv').default }).default;
const addFormats = (require('ajv-formats') as { default: (a: InstanceType<typeof Ajv>) => void }).default;

function editorValidator(): ValidateFunction {
  // Strict: unknown keywords, unknown formats, loose types and tuples refuse to compile
  // (strictRequired stays off, as in ajv's defaults: `anyOf: [{required: [url]}, {required: [host]}]`
  // names properties defined beside it). x-message and x-secret are Sluice's annotations:
  // declared as a vocabulary (no validation), as an editor ignores them. allowUnionTypes:
  // draft-07's `"type": ["string", "null"]`.
  const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addVocabulary(['x-message', 'x-secret']);
  for (const f of readdirSync(join(dir, 'plugins')).filter((x) => x.endsWith('.json'))) ajv.addSchema(JSON.parse(readFileSync(join(dir, 'plugins', f), 'utf8')) as object);
  return ajv.compile(JSON.parse(readFileSync(join(dir, 'gateway.schema.json'), 'utf8')) as object);
}

const env = new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? 'x' : undefined) }) as NodeJS.ProcessEnv;

describe('the editor schema', () => {
  const validate = editorValidator();

  it('accepts every file Sluice accepts (the Kong corpus, gateway.yaml, the examples)', () => {
    let checked = 0;
    for (const f of configFiles()) {
      if (!loadConfigFile(f, { env, offline: true }).ok) continue;
      const doc = parse(readFileSync(f, 'utf8'), { merge: true }) as Record<string, unknown>;
      // Kong exports write unset fields as `key: null`, which Sluice drops (migrate.ts) and the
      // editor schema does not model: compare what Sluice validates.
      migrate(doc);
      expect(validate(doc), `${f}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("refuses a typo'd plugin name and a typo'd config field, at every plugin position", () => {
    const wrap = (plugin: object): unknown[] => [
      { _format_version: '3.0', plugins: [plugin] },
      { _format_version: '3.0', services: [{ name: 's', url: 'http://s', plugins: [plugin], routes: [{ paths: ['/'], plugins: [plugin] }] }] },
      { _format_version: '3.0', consumers: [{ username: 'c', plugins: [plugin] }] },
    ];
    for (const doc of wrap({ name: 'rate-limiting', config: { minute: 5, policy: 'local' } })) expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    for (const bad of [{ name: 'key-auht' }, { name: 'rate-limiting', config: { minute: 5, polcy: 'local' } }, { name: 'key-auth', config: { key_names: 'apikey' } }, { name: 'cors', config: { origins: 5 } }]) {
      for (const doc of wrap(bad)) expect(validate(doc), JSON.stringify(bad)).toBe(false);
    }
  });

  it('is up to date with schemas/plugins (node scripts/editor-schema.js)', () => {
    const schema = JSON.parse(readFileSync(join(dir, 'gateway.schema.json'), 'utf8')) as { definitions: { plugin_config: { properties: { name: { enum: string[] } } } } };
    const names = readdirSync(join(dir, 'plugins')).filter((x) => x.endsWith('.json')).map((x) => x.slice(0, -5)).sort();
    expect(schema.definitions.plugin_config.properties.name.enum).toEqual(names);
  });
});
