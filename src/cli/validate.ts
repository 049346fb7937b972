import { parseArgs } from 'node:util';
import type { Config, Diagnostic } from '../config/types.js';
import { compile } from '../snapshot/compile.js';
import { PoolRegistry } from '../upstream/pool.js';
import { setActiveCatalogue } from '../plugins/catalogue.js';
import { loadCatalogue, pluginsSpecFrom } from '../plugins/custom/load.js';
import { shadowWarnings } from './shadow.js';
import { runtimeInfo } from '../uws/load.js';
import { configFileSetting, diagnosticJson, diagnosticLines, loadForCli, plural, usageHint, writeJson } from './output.js';

export const HELP = `Usage: sluice validate [-c FILE]... [--json] [FILE...]

Parses each configuration file, resolves its secrets, validates it against schemas/, checks
references and compiles it, as a reload would. Prints every problem as
  FILE:LINE:COL message             (errors)
  FILE:LINE:COL warning: message    (warnings)
then one summary line per file:
  gateway.yaml: valid (3 services, 7 routes, 2 consumers, 5 plugins)
  gateway.yaml: invalid (2 errors)

Options:
  --plugins-dir DIR   custom plugins (as sluice start; also SLUICE_PLUGINS_DIR, SLUICE_PLUGINS)
  -c, --config FILE   file to check; repeat for several, or list them as arguments
                      (default $SLUICE_CONFIG, else ./gateway.yaml)
  --json              print one JSON document instead:
                      {"valid": bool,
                       "files": [{"file", "valid",
                                  "errors":   [{"file", "line", "column", "severity", "message"}],
                                  "warnings": [same shape],
                                  "counts": {"services", "routes", "consumers", "plugins",
                                             "upstreams", "certificates"} | null}]}
  --offline         check {vault://...} references' syntax, resolve none: CI needs no secret
                    (a value behind a reference is not checked)
  -h, --help          this help

Exit status: 0 every file is valid, 1 a file is invalid or missing, 2 usage error.
`;

interface FileResult {
  file: string;
  valid: boolean;
  errors: Diagnostic[];
  warnings: Diagnostic[];
  counts: Record<'services' | 'routes' | 'consumers' | 'plugins' | 'upstreams' | 'certificates', number> | null;
}

/** Compiles as the gateway would, so compile-time errors surface; pools are closed again. */
export async function compileCheck(config: Config, file: string, warnings?: Diagnostic[]): Promise<Diagnostic | null> {
  const pools = new PoolRegistry();
  try {
    const snapshot = compile(config, { pools });
    // Routes that can never match (another route takes all their requests): a warning.
    if (warnings !== undefined) warnings.push(...shadowWarnings(config, snapshot.router, file));
    return null;
  } catch (e) {
    return { file, line: 1, column: 1, severity: 'error', message: `compile error: ${(e as Error).message}` };
  } finally {
    await pools.closeAll();
  }
}

/** Loads the custom plugins (--plugins-dir, SLUICE_PLUGINS_DIR, SLUICE_PLUGINS) as the active catalogue; a load error as a diagnostic. */
export async function loadCliPlugins(flagDirs: string[] | undefined): Promise<Diagnostic | null> {
  const spec = pluginsSpecFrom(flagDirs);
  try {
    setActiveCatalogue(await loadCatalogue(spec));
    return null;
  } catch (e) {
    const m = /\((\/[^)]+)\)/.exec((e as Error).message);
    return { file: m?.[1] ?? spec.dirs[0] ?? '-', line: 1, column: 1, severity: 'error', message: `plugins: ${(e as Error).message}` };
  }
}

async function check(file: string, offline: boolean): Promise<FileResult> {
  // Route methods this machine's uWS build closes the connection for are warnings (uws-methods.ts).
  const r = loadForCli(file, { offline, uws: runtimeInfo().uws });
  if (!r.ok) return { file, valid: false, errors: r.errors, warnings: r.warnings, counts: null };
  const warnings = [...r.warnings];
  const compileError = await compileCheck(r.config, file, warnings);
  if (compileError !== null) return { file, valid: false, errors: [compileError], warnings: r.warnings, counts: null };
  const c = r.config;
  return {
    file,
    valid: true,
    errors: [],
    warnings,
    counts: { services: c.services.length, routes: c.routes.length, consumers: c.consumers.length, plugins: c.plugins.length, upstreams: c.upstreams.length, certificates: c.certificates.length },
  };
}

function summary(r: FileResult): string {
  const w = r.warnings.length > 0 ? `, ${plural(r.warnings.length, 'warning')}` : '';
  if (!r.valid) return `${r.file}: invalid (${plural(r.errors.length, 'error')}${w})`;
  const c = r.counts!;
  return `${r.file}: valid (${plural(c.services, 'service')}, ${plural(c.routes, 'route')}, ${plural(c.consumers, 'consumer')}, ${plural(c.plugins, 'plugin')})${w}`;
}

export async function run(argv: string[]): Promise<number> {
  let values: { config?: string[]; json?: boolean; offline?: boolean; 'plugins-dir'?: string[] };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c', multiple: true }, json: { type: 'boolean' }, offline: { type: 'boolean' }, 'plugins-dir': { type: 'string', multiple: true } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`sluice validate: ${(err as Error).message}\n${usageHint(HELP, 'validate')}`);
    return 2;
  }
  const files = [...(values.config ?? []), ...positionals];
  if (files.some((f) => f === '')) {
    process.stderr.write(`sluice validate: empty file name\n${usageHint(HELP, 'validate')}`);
    return 2;
  }
  if (files.length === 0) files.push(configFileSetting(undefined));

  // Custom plugins load as the gateway loads them: their configs are validated like bundled ones.
  const plugins = await loadCliPlugins(values['plugins-dir']);
  const results: FileResult[] = [];
  if (plugins !== null) for (const f of files) results.push({ file: f, valid: false, errors: [plugins], warnings: [], counts: null });
  else for (const f of files) results.push(await check(f, values.offline === true));
  const valid = results.every((r) => r.valid);

  if (values.json) {
    writeJson({
      valid,
      files: results.map((r) => ({ file: r.file, valid: r.valid, errors: r.errors.map(diagnosticJson), warnings: r.warnings.map(diagnosticJson), counts: r.counts })),
    });
  } else {
    let out = '';
    for (const r of results) {
      for (const line of diagnosticLines(r.errors, r.warnings)) out += line + '\n';
      out += summary(r) + '\n';
    }
    process.stdout.write(out);
  }
  return valid ? 0 : 1;
}
