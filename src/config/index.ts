import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { collectEntities } from './entities.js';
import { formatPath, sortDiagnostics, type Issue } from './issues.js';
import { parseYaml } from './load.js';
import { migrate } from './migrate.js';
import { normalize } from './normalize.js';
import { checkReferences, Lookup } from './references.js';
import { checkRefusedFields } from './refused.js';
import { checkServiceTls } from './service-tls.js';
import { resolveSecrets } from './secrets.js';
import type { Config, Diagnostic, LoadResult } from './types.js';
import { validateDocument, type PluginLookup } from './validate.js';
import { activeCatalogue } from '../plugins/catalogue.js';
import { isObj, type Obj } from './walk.js';

export type { Config, Diagnostic, LoadResult } from './types.js';

export interface LoadOptions {
  /** Environment for {vault://env/...} (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Parse with `yaml` only, skipping js-yaml's fast pass (load.ts); tests compare the two. */
  exact?: boolean;
  /** The plugins to validate against (default: the process's active catalogue, bundled + custom). */
  catalogue?: PluginLookup;
}

/** Reads and loads a configuration file (synchronously). */
export function loadConfigFile(file: string, opts: LoadOptions = {}): LoadResult {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, errors: [{ file: abs, line: 1, column: 1, message: `cannot read ${abs} (${code})`, severity: 'error' }], warnings: [] };
  }
  return loadConfigString(text, abs, opts);
}

/**
 * gateway.yaml text → Config: parse (positions kept) → resolve vault references → migrate to 3.0
 * → validate against schemas/ → check references → normalize. YAML errors stop early; otherwise
 * every error of every stage is reported, sorted by line.
 */
export function loadConfigString(text: string, file: string, opts: LoadOptions = {}): LoadResult {
  const parsed = parseYaml(text, file, opts.exact === true);
  if (!parsed.ok) return { ok: false, errors: sortDiagnostics(parsed.errors), warnings: [] };
  const doc = parsed.doc;
  const root = doc.value as Obj;

  const issues: Issue[] = [];
  const secrets = resolveSecrets(root, file, opts.env ?? process.env);
  issues.push(...secrets.issues);
  issues.push(...migrate(root));
  const validation = validateDocument(root, opts.catalogue ?? activeCatalogue());
  // A value already reported (an unresolved secret, a bad _format_version) gets no schema noise on top.
  issues.push(...notUnder(root, issues, validation.issues));
  const ents = collectEntities(root);
  const lookup = new Lookup(ents);
  issues.push(...notUnder(root, issues, checkReferences(ents, lookup)));
  issues.push(...notUnder(root, issues, checkServiceTls(root, ents)));
  issues.push(...notUnder(root, issues, checkRefusedFields(ents)));

  // Exact positions for what is reported: parse again with `yaml` (a valid file never does).
  if (issues.length > 0 && !doc.exact) return loadConfigString(text, file, { ...opts, exact: true });
  const diagnostics = [...doc.warnings, ...issues.map((i) => doc.toDiagnostic(i))];
  const errors = sortDiagnostics(diagnostics.filter((d) => d.severity === 'error'));
  const warnings = sortDiagnostics(diagnostics.filter((d) => d.severity === 'warning'));
  if (errors.length > 0) return { ok: false, errors, warnings };

  const config = normalize({
    root, ents, lookup, source: file, posOf: (p) => doc.posOf(p), warnings,
    secretDocPaths: [...secrets.secretPaths, ...validation.secretPaths], referencedFiles: secrets.referencedFiles,
  });
  return { ok: true, config, warnings };
}

/** The `later` issues that are not about a value an `earlier` error already reported (no noise on top of a real error). */
function notUnder(root: Obj, earlier: Issue[], later: Issue[]): Issue[] {
  // Errors about a value hide later ones; errors about an entity (e.g. "needs url or host") do not.
  const valueAt = (path: Issue['path']): unknown => path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), root);
  const reported = earlier
    .filter((i) => i.severity === 'error' && i.path.length > 0 && !i.atKey && (i.subtree === true || !isObj(valueAt(i.path))))
    .map((i) => formatPath(i.path));
  return later.filter((i) => {
    const p = formatPath(i.path);
    return !reported.some((r) => p === r || p.startsWith(`${r}.`) || p.startsWith(`${r}[`));
  });
}

/** `FILE:LINE:COL message`, warnings as `FILE:LINE:COL warning: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column} ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`;
}

/** A deep copy of the configuration with every path in `config.secrets` replaced by "<redacted>". */
export function redactConfig(config: Config): unknown {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const path of config.secrets) {
    let cur: unknown = copy;
    for (let i = 0; i < path.length - 1 && cur !== null && typeof cur === 'object'; i++) cur = (cur as Record<string | number, unknown>)[path[i]!];
    const last = path[path.length - 1]!;
    if (cur !== null && typeof cur === 'object' && last in (cur as object)) (cur as Record<string | number, unknown>)[last] = '<redacted>';
  }
  return copy;
}
