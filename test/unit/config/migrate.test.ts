import { describe, expect, it } from 'vitest';
import { migrateRoutePath } from '../../../src/config/migrate.js';
import { config, errors, warnings, y } from './helpers.js';

describe('migrate: _format_version and Kong 1.1/2.1 → 3.0', () => {
  it.each([
    ['/plain', '/plain'],
    ['/a-b_c.d~e/%20', '/a-b_c.d~e/%20'],
    ['/status/\\d+', '~/status/\\d+'],
    ['/api/users$', '~/api/users$'],
    ['/files/[a-f0-9-]{36}', '~/files/[a-f0-9-]{36}'],
    ['/(a|b)', '~/(a|b)'],
    ['~/already$', '~/already$'],
  ])('Kong regex rule: %s → %s', (from, to) => {
    expect(migrateRoutePath(from)).toBe(to);
  });

  it.each(['1.1', '2.1'])('a %s file gets ~ on its regex paths, nested and top-level', (v) => {
    const c = config(y(
      `_format_version: "${v}"`,
      'services:',
      '  - name: a',
      '    url: http://a:8080',
      '    routes:',
      '      - name: r1',
      '        paths: [/users/\\d+$, /plain]',
      'routes:',
      '  - name: r2',
      '    service: a',
      '    paths: ["/bar$"]',
    ));
    expect(c.format_version).toBe('3.0');
    expect(c.routes.map((r) => r.paths)).toEqual([['~/users/\\d+$', '/plain'], ['~/bar$']]);
  });

  it('a 3.0 file is not migrated', () => {
    const c = config(y('_format_version: "3.0"', 'routes:', '  - name: r', '    paths: [/plain]'));
    expect(c.routes[0]!.paths).toEqual(['/plain']);
  });

  it.each([
    ['missing', y('services: []'), ['1:1 _format_version is missing: add _format_version: "3.0" at the top']],
    ['version instead', y('version: "3.1"', 'services: []'), [
      '1:1 _format_version is missing: add _format_version: "3.0" at the top (found "version": Kong\'s declarative format needs _format_version instead)',
      '1:1 top level has unknown key "version"',
    ]],
    ['unsupported', y('_format_version: "4.0"'), ['1:18 _format_version "4.0" is not supported (use "3.0"; "1.1" and "2.1" are migrated)']],
    ['unquoted number', y('_format_version: 3.0'), ['1:18 _format_version must be a quoted string, e.g. _format_version: "3.0"']],
  ])('_format_version %s', (_n, text, expected) => {
    expect(errors(text)).toEqual(expected);
  });

  it('accepts the meta keys _transform, _comment, _ignore', () => {
    expect(errors(y('_format_version: "3.0"', '_transform: true', '_comment: hello', '_ignore: [{anything: 1}]'))).toEqual([]);
  });

  it('_workspace is accepted with a warning', () => {
    const text = y('_format_version: "3.0"', '_workspace: team-a');
    expect(errors(text)).toEqual([]);
    expect(warnings(text)).toEqual(['2:13 _workspace is ignored: Sluice has no workspaces']);
    expect(config(text).warnings.map((w) => w.message)).toEqual(['_workspace is ignored: Sluice has no workspaces']);
  });

  it('null-valued fields are unset, as in Kong exports', () => {
    const c = config(y('_format_version: "3.0"', 'services:', '  - name: a', '    host: h', '    path: ~', '    tags: ~', '    tls_verify: null'));
    expect(c.services[0]!.path).toBeNull();
    expect(c.services[0]!.tags).toEqual([]);
  });
});
