/**
 * No field is accepted and silently ignored (issue 19 item 6, SPEC §3). Every field of every
 * entity (schemas/gateway.schema.json) and of every plugin (schemas/plugins/*.json) is either
 * used by the code that reads it, listed as a documented no-op (src/config/no-ops.ts), or refused
 * at any value but "off" (REFUSED, and openid-connect's own registry).
 *
 * "Used" is a name check in the code that can read the field: for entities the configuration
 * modules that turn the document into Config; for a plugin the modules its index.ts imports
 * (transitively). A name check cannot see a field read for one entity and not for another with
 * the same name; a schema description that says a field is ignored must be in the no-op list too.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_OPS, REFUSED } from '../../../src/config/no-ops.js';
import { FIELDS } from '../../../src/plugins/openid-connect/fields.js';
import { REPO_ROOT } from '../../helpers/gateway.js';
import { errors, y } from './helpers.js';

type Schema = Record<string, unknown>;

/** [dotted path, property schema] of every property, nested objects and array items included. */
function fields(schema: Schema, prefix = ''): Array<[string, Schema]> {
  const out: Array<[string, Schema]> = [];
  if (typeof schema !== 'object' || schema === null || '$ref' in schema) return out;
  for (const [k, v] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    out.push([prefix + k, v]);
    out.push(...fields(v, prefix + k + '.'));
  }
  if (typeof schema.items === 'object' && schema.items !== null) out.push(...fields(schema.items as Schema, prefix));
  for (const kw of ['anyOf', 'oneOf', 'allOf']) for (const s of (schema[kw] ?? []) as Schema[]) out.push(...fields(s, prefix));
  return out;
}

const read = (f: string): string => readFileSync(join(REPO_ROOT, f), 'utf8');

/** src files reachable by relative imports from `start` (type declarations left out). */
function reachable(start: string): string[] {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f) || !existsSync(join(REPO_ROOT, f))) continue;
    seen.add(f);
    for (const m of read(f).matchAll(/from '(\.[^']+)'/g)) todo.push(normalize(join(dirname(f), m[1]!)).replace(/\.js$/, '.ts'));
  }
  return [...seen].filter((f) => !f.endsWith('/types.ts'));
}

function mentions(files: readonly string[], name: string): boolean {
  const re = new RegExp(`(?<![A-Za-z0-9_])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`);
  return files.some((f) => re.test(read(f)));
}

const listed = (list: typeof NO_OPS, where: string, path: string): boolean =>
  list.some((n) => (n.where === where || n.where === '*') && (n.fields.includes(path) || n.fields.includes('*') || n.fields.includes(path.split('.').pop()!)));

/** A description that admits the field does nothing. */
const SAYS_IGNORED = /\bignored\b|accepted for Kong compatibility|Kong field; accepted/i;

const ENTITY_READERS = ['normalize.ts', 'service-tls.ts', 'validate.ts', 'references.ts', 'migrate.ts', 'entities.ts'].map((f) => `src/config/${f}`);

describe('no silent no-ops', () => {
  const gateway = JSON.parse(read('schemas/gateway.schema.json')) as { definitions: Record<string, Schema> };

  it('every entity field is used, a documented no-op, or refused', () => {
    const problems: string[] = [];
    for (const [def, schema] of Object.entries(gateway.definitions)) {
      for (const [path, prop] of fields(schema)) {
        const name = path.split('.').pop()!;
        if (listed(NO_OPS, def, path) || listed(REFUSED, def, path)) continue;
        if (!mentions(ENTITY_READERS, name)) problems.push(`${def}.${path}: not read by src/config and not in src/config/no-ops.ts`);
        else if (SAYS_IGNORED.test(String(prop.description ?? ''))) problems.push(`${def}.${path}: its description says it is ignored, but it is not in src/config/no-ops.ts`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every plugin field is used by the plugin, a documented no-op, or refused', () => {
    const problems: string[] = [];
    for (const file of readdirSync(join(REPO_ROOT, 'schemas', 'plugins'))) {
      const plugin = file.replace(/\.json$/, '');
      const schema = JSON.parse(read(`schemas/plugins/${file}`)) as Schema;
      const code = reachable(`src/plugins/${plugin}/index.ts`);
      expect(code.length, plugin).toBeGreaterThan(0);
      for (const [path, prop] of fields(schema)) {
        const where = `plugin:${plugin}`;
        if (plugin === 'openid-connect' && !path.includes('.')) {
          if (FIELDS[path] === undefined) problems.push(`${where} ${path}: not classified in src/plugins/openid-connect/fields.ts`);
          continue;
        }
        if (plugin === 'openid-connect') continue; // inside a no-op or refused object (redis, client_jwk)
        if (listed(NO_OPS, where, path) || listed(REFUSED, where, path)) continue;
        const name = path.split('.').pop()!;
        if (!mentions(code, name)) problems.push(`${where} ${path}: not read by the plugin's code and not in src/config/no-ops.ts`);
        else if (SAYS_IGNORED.test(String(prop.description ?? ''))) problems.push(`${where} ${path}: its description says it is ignored, but it is not in src/config/no-ops.ts`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every listed no-op and refused field exists in its schema', () => {
    for (const n of [...NO_OPS, ...REFUSED]) {
      const schema = n.where.startsWith('plugin:') ? (JSON.parse(read(`schemas/plugins/${n.where.slice(7)}.json`)) as Schema) : n.where === '*' ? null : gateway.definitions[n.where];
      if (schema === null) continue;
      expect(schema, n.where).toBeDefined();
      const paths = new Set(fields(schema!).map(([p]) => p));
      for (const f of n.fields) if (f !== '*') expect(paths.has(f), `${n.where} ${f}`).toBe(true);
    }
  });

  it('refused plugin fields are refused at a value that is not "off"', () => {
    const doc = (plugin: string, line: string) => y('_format_version: "3.0"', 'plugins:', `  - name: ${plugin}`, '    config:', ...(plugin.endsWith('-log') || plugin === 'syslog' ? requiredOf(plugin) : []), `      ${line}`);
    expect(errors(doc('key-auth', 'key_in_body: true')).join('\n')).toMatch(/key_in_body/);
    const routes = (line: string) => y('_format_version: "3.0"', 'routes:', '  - paths: [/]', `    ${line}`);
    expect(errors(routes('sources: [{ip: 10.0.0.1}]'))[0]).toMatch(/routes\[0\]\.sources: sources is a tcp\/tls stream-route field; Kong refuses it on http\(s\) routes/);
    expect(errors(routes('sources: []'))).toEqual([]);
    const keys = (ttl: number) => y('_format_version: "3.0"', 'consumers:', '  - username: a', '    keyauth_credentials:', `      - { key: k, ttl: ${ttl} }`);
    expect(errors(keys(60))[0]).toMatch(/field ttl of keyauth_credentials is not supported by Sluice/);
    expect(errors(keys(0))).toEqual([]);
    for (const p of ['file-log', 'http-log', 'syslog', 'tcp-log', 'udp-log']) {
      expect(errors(doc(p, 'custom_fields_by_lua: {x: "return 1"}')).join('\n'), p).toMatch(/custom_fields_by_lua/);
    }
  });
});

function requiredOf(plugin: string): string[] {
  switch (plugin) {
    case 'file-log':
      return ['      path: /tmp/sluice-test.log'];
    case 'http-log':
      return ['      http_endpoint: http://127.0.0.1:9/log'];
    case 'tcp-log':
    case 'udp-log':
      return ['      host: 127.0.0.1', '      port: 9'];
    default:
      return [];
  }
}
