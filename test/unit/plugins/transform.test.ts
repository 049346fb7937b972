/**
 * Config rules of the transformation plugins, reported at their line: request-validator schemas
 * compiled at load (JSON Schema drafts and Kong's dialect), request-transformer templates; and
 * the template compiler itself.
 */
import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../../src/plugins/request-transformer/template.js';
import { compileSchema } from '../../../src/plugins/request-validator/compile.js';
import { config, errors, y } from '../config/helpers.js';

const route = (...plugin: string[]): string =>
  y('_format_version: "3.0"', 'services:', '  - name: s', '    url: http://u', '    routes:', '      - name: r', '        paths: [/r]', '        plugins:', ...plugin);

describe('request-validator config', () => {
  it('reports an invalid body_schema at its line', () => {
    const text = route('          - name: request-validator', '            config:', '              version: draft7', `              body_schema: '{"type":"object","properties":{"a":{"type":"strin"}}}'`);
    const e = errors(text);
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(/^12:\d+ .*body_schema.*invalid draft7 schema/);
  });
  it('reports JSON that does not parse, Kong-dialect attributes it cannot translate, and bad parameter schemas', () => {
    expect(errors(route('          - name: request-validator', '            config:', "              body_schema: '{nope'"))[0]).toMatch(/^11:\d+ .*not valid JSON/);
    expect(errors(route('          - name: request-validator', '            config:', `              body_schema: '[{"a":{"type":"string","match":"^x"}}]'`))[0]).toMatch(/"match" is not supported/);
    const p = errors(route('          - name: request-validator', '            config:', '              parameter_schema:', `                - { in: query, name: q, required: true, schema: '{"type":1}' }`));
    expect(p[0]).toMatch(/^12:\d+ .*parameter_schema\[0\]\.schema.*invalid schema/);
  });
  it('needs body_schema or parameter_schema (as Kong)', () => {
    expect(errors(route('          - name: request-validator', '            config: { verbose_response: true }'))[0]).toMatch(/at least one of body_schema or parameter_schema/);
  });
  it('accepts valid schemas of every version and fills defaults', () => {
    for (const version of ['draft4', 'draft6', 'draft7', 'draft201909', 'draft202012']) {
      const c = config(route('          - name: request-validator', '            config:', `              version: ${version}`, `              body_schema: '{"type":"object"}'`));
      expect(c.plugins[0]!.config).toMatchObject({ allowed_content_types: ['application/json'], verbose_response: false, content_type_parameter_validation: true });
    }
  });
  it('compiles each schema once (shared by check and create)', () => {
    const a = compileSchema('{"type":"integer"}', 'draft7');
    expect(compileSchema('{"type":"integer"}', 'draft7')).toBe(a);
  });
  it('translates draft 4 exclusive bounds and the Kong dialect', () => {
    const d4 = compileSchema('{"type":"number","maximum":5,"exclusiveMaximum":true}', 'draft4');
    if (d4 instanceof Error) throw d4;
    expect(d4(4.9)).toBe(true);
    expect(d4(5)).toBe(false);
    const k = compileSchema('[{"tags":{"type":"set","elements":{"type":"string","one_of":["a","b"]}}},{"r":{"type":"record","required":true,"fields":[{"x":{"type":"integer","gt":0}}]}}]', 'kong');
    if (k instanceof Error) throw k;
    expect(k({ tags: ['a', 'b'], r: { x: 1 } })).toBe(true);
    expect(k({ tags: ['a', 'a'], r: { x: 1 } })).toBe(false);
    expect(k({ tags: ['c'], r: { x: 1 } })).toBe(false);
    expect(k({ r: { x: 0 } })).toBe(false);
    expect(k({})).toBe(false);
  });
});

describe('request-transformer config and templates', () => {
  it('reports a malformed template at its line', () => {
    const e = errors(route('          - name: request-transformer', '            config:', '              add:', '                headers: ["x-a:$(consumer.id)"]'));
    expect(e[0]).toMatch(/^12:\d+ .*unsupported template/);
    const u = errors(route('          - name: request-transformer', '            config:', '              replace: { uri: "/a/$(uri_captures.id" }'));
    expect(u[0]).toMatch(/unclosed/);
  });
  it('rejects entries without a colon where a value is needed', () => {
    expect(errors(route('          - name: request-transformer', '            config:', '              add: { headers: [novalue] }')).length).toBe(1);
  });
  it('compiles templates into literal parts and references', () => {
    expect(compileTemplate('plain')).toBe('plain');
    expect(compileTemplate('\\$(headers.x)')).toBe('$(headers.x)');
    expect(compileTemplate('a$(headers["X-Y"])b$(uri_captures[1] or "d")')).toEqual([
      'a',
      { source: 'headers', key: 'x-y', fallback: '' },
      'b',
      { source: 'uri_captures', key: '1', fallback: 'd' },
    ]);
  });
});
