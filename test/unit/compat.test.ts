/**
 * Kong declarative-config compatibility: every real kong.yml of test/fixtures/kong/ (a copy of ../shared/compat/kong/) must do
 * what MANIFEST.tsv's `expect` column says. Plugins named in SPEC §5 but not implemented yet may
 * fail with exactly `plugin X is not supported`; nothing else may.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/index.js';
import type { Diagnostic } from '../../src/config/types.js';
import { SPEC_PLUGIN_NAMES } from '../../src/plugins/registry.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = resolve(repoRoot, 'test', 'fixtures', 'kong');

/** The corpus leaves `{vault://env/...}` unresolved on purpose: give every variable a value. */
const anyEnv = new Proxy({} as NodeJS.ProcessEnv, { get: (_t, name) => (typeof name === 'string' ? `compat-${name}` : undefined) });

/**
 * Where Sluice deliberately differs from the manifest, with the exact errors it gives instead.
 * Each entry says why; the test fails if the file starts producing anything else.
 */
const DEVIATIONS: Record<string, { why: string; errors: RegExp[] }> = {
  '017-carnei-ro-my-crud-grpc.yml': {
    why: 'a gRPC upstream (service protocol: grpc): Sluice proxies http, https, ws and wss only (SPEC §3)',
    errors: [/^services\[[^\]]+\]\.protocol must be one of http, https, ws, wss$/],
  },
  '005-Joxtacy-smooth-operators.yml': {
    why: 'its request-validator sets only allowed_content_types; Kong refuses that too (entity check: at least one of config.body_schema, config.parameter_schema must be set)',
    errors: [/^services\[[^\]]+\]\.plugins\[[^\]]+\]\.config at least one of body_schema or parameter_schema must be specified$/],
  },
  '018-CleverOnion-Open436.yml': {
    why: 'declares services auth-service and file-service twice (the second time without url/host); Kong >= 3.4 rejects duplicate names too (Kong/kong#11199)',
    errors: [
      /^services\[[23]\] needs url, or host/,
      /^services\[[23]\]\.name: duplicate service name "(auth|file)-service"/,
    ],
  },
};

interface Row { file: string; expect: string; services: number; routes: number; consumers: number }

function manifest(): Row[] {
  const lines = readFileSync(join(corpus, 'MANIFEST.tsv'), 'utf8').trim().split('\n');
  const head = lines[0]!.split('\t');
  const col = (name: string): number => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`MANIFEST.tsv has no ${name} column`);
    return i;
  };
  return lines.slice(1).map((l) => {
    const c = l.split('\t');
    return { file: c[col('file')]!, expect: c[col('expect')]!, services: Number(c[col('services')]), routes: Number(c[col('routes')]), consumers: Number(c[col('consumers')]) };
  });
}

const NOT_SUPPORTED = /^plugin (\S+) is not supported$/;
const unsupportedPlugin = (d: Diagnostic): string | undefined => NOT_SUPPORTED.exec(d.message)?.[1];
const show = (ds: Diagnostic[]): string => ds.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n');

describe('Kong compatibility corpus', () => {
  it('exists (a missing corpus is a failure, not a skip)', () => {
    expect(existsSync(join(corpus, 'MANIFEST.tsv')), `${corpus}/MANIFEST.tsv`).toBe(true);
  });

  const rows = existsSync(join(corpus, 'MANIFEST.tsv')) ? manifest() : [];

  it('lists every .yml file of the corpus', () => {
    expect(rows.length).toBe(43);
    for (const r of rows) expect(existsSync(join(corpus, r.file)), r.file).toBe(true);
  });

  it.each(rows.map((r) => [r.file, r] as const))('%s', (_f, row) => {
    const result = loadConfigFile(join(corpus, row.file), { env: anyEnv });
    const errors = result.ok ? [] : result.errors;
    const deviation = DEVIATIONS[row.file];
    const known = (d: Diagnostic): boolean => deviation?.errors.some((re) => re.test(d.message)) ?? false;
    if (deviation) {
      for (const re of deviation.errors) expect(errors.some((d) => re.test(d.message)), `${row.file}: expected an error matching ${re} (${deviation.why})`).toBe(true);
    }
    const rest = errors.filter((d) => !known(d));
    const plugins = rest.map(unsupportedPlugin);
    const other = rest.filter((_d, i) => plugins[i] === undefined);
    const named = new Set(plugins.filter((p): p is string => p !== undefined));
    const nonSpec = [...named].filter((p) => !SPEC_PLUGIN_NAMES.includes(p)).sort();

    const [kind, detail = ''] = row.expect.split(/:(.*)/s) as [string, string?];
    if (kind === 'valid') {
      expect(show(other), `${row.file} must load (or fail only on SPEC plugins not implemented yet)`).toBe('');
      expect(nonSpec, `${row.file}: only SPEC §5 plugins may be "not supported"`).toEqual([]);
      if (result.ok && !deviation) {
        expect(result.config.services).toHaveLength(row.services);
        expect(result.config.routes).toHaveLength(row.routes);
        expect(result.config.consumers).toHaveLength(row.consumers);
      }
    } else if (kind === 'unsupported') {
      expect(result.ok).toBe(false);
      expect(show(other), `${row.file} must fail only with "plugin X is not supported"`).toBe('');
      expect(nonSpec).toEqual(detail.split(',').map((s) => s.trim()).sort());
    } else if (kind === 'invalid') {
      expect(result.ok).toBe(false);
      if (/_format_version/.test(detail)) {
        expect(errors[0]!.message).toMatch(/^_format_version is missing: add _format_version: "3\.0" at the top/);
        expect(errors[0]).toMatchObject({ line: 4, column: 1 });
      } else {
        expect(errors.length).toBeGreaterThan(0);
      }
    } else {
      throw new Error(`${row.file}: unknown expect value ${row.expect}`);
    }
  });
});
