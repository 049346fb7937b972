import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/config/index.js';
import { parseYaml } from '../../../src/config/load.js';
import { errors, load, warnings, y } from './helpers.js';

describe('load: YAML with positions', () => {
  it.each([
    ['empty file', '', ['1:1 the configuration is empty: expected a mapping with _format_version: "3.0"']],
    ['only a comment', '# nothing\n', ['1:1 the configuration is empty: expected a mapping with _format_version: "3.0"']],
    ['a list at the top', y('- a', '- b'), ['1:1 the top level must be a mapping (key: value), with _format_version: "3.0"']],
    ['a scalar at the top', 'hello\n', ['1:1 the top level must be a mapping (key: value), with _format_version: "3.0"']],
    ['duplicate key', y('_format_version: "3.0"', 'services:', '  - name: a', '    name: b', '    host: x'), ['4:5 duplicate key "name"']],
  ])('%s', (_name, text, expected) => {
    expect(errors(text)).toEqual(expected);
  });

  it('reports a YAML syntax error with its position and stops there', () => {
    expect(errors(y('_format_version: "3.0"', 'services:', '  - name: @a', 'hots: 1'))).toEqual([
      '3:11 YAML: Plain value cannot start with reserved character @',
    ]);
  });

  it('stops at YAML errors: no schema errors are reported with them', () => {
    const errs = errors(y('_format_version: "3.0"', 'bogus: 1', 'services: [a', ''));
    expect(errs.every((e) => e.includes('YAML'))).toBe(true);
  });

  it('maps a JSON path to the value node, or to the key when the value is missing', () => {
    // Exact positions come from the `yaml` pass; js-yaml's fast pass has them for objects and
    // arrays only (fast-yaml.test.ts), and the loader re-parses exactly before reporting.
    const r = parseYaml(y('a:', '  b: 1', '  c:', '  d: [x, y]'), 'f.yaml', true);
    if (!r.ok) throw new Error('parse failed');
    const at = (p: Array<string | number>, atKey = false): string => {
      const pos = r.doc.posOf(p, atKey);
      return `${pos.line}:${pos.column}`;
    };
    expect(at(['a', 'b'])).toBe('2:6');
    expect(at(['a', 'b'], true)).toBe('2:3');
    expect(at(['a', 'c'])).toBe('3:3');
    expect(at(['a', 'd', 1])).toBe('4:10');
    expect(at(['a', 'zzz', 3])).toBe('2:3');
    const fast = parseYaml(y('a:', '  b: 1', '  c:', '  d: [x, y]'), 'f.yaml');
    if (!fast.ok || fast.doc.exact) throw new Error('expected the fast pass');
    for (const p of [['a'], ['a', 'd'], ['a', 'zzz', 3]]) expect(fast.doc.posOf(p)).toEqual(r.doc.posOf(p));
  });

  it('a key with an empty value counts as unset (Kong reads `key: ~` as no value)', () => {
    expect(errors(y('_format_version: "3.0"', 'services:', '  - name: a', '    host:', '    port: 1'))).toEqual([
      '3:5 services[a] needs url, or host (with optional protocol, port, path)',
    ]);
  });

  it("reports yaml's warnings (an unresolved tag) as warnings with their position, not on stderr", () => {
    const text = y('_format_version: "3.0"', 'services:', '  - name: a', '    url: http://127.0.0.1:9', '    tags: [!Ref x]');
    expect(warnings(text)).toEqual(['5:12 YAML: Unresolved tag: !Ref']);
    expect(load(text).ok).toBe(true);
  });

  it('follows aliases for positions', () => {
    expect(errors(y('_format_version: "3.0"', '_ignore:', '  - &svc {name: a, host: x, port: "80"}', 'services:', '  - *svc'))).toEqual([
      '3:35 services[a].port must be an integer between 0 and 65535',
    ]);
  });

  it('formats diagnostics as FILE:LINE:COL message, warnings marked', () => {
    expect(formatDiagnostic({ file: 'gw.yaml', line: 3, column: 7, message: 'boom', severity: 'error' })).toBe('gw.yaml:3:7 boom');
    expect(formatDiagnostic({ file: 'gw.yaml', line: 1, column: 1, message: 'meh', severity: 'warning' })).toBe('gw.yaml:1:1 warning: meh');
  });

  it('loadConfigString keeps the file name in diagnostics', () => {
    const r = load('');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]!.file).toBe('gw.yaml');
  });
});
