import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { collectEntities } from './entities.js';
import { formatPath, sortDiagnostics, withEntityNames, type Issue } from './issues.js';
import { parseYaml } from './load.js';
import { migrate } from './migrate.js';
import { normalize } from './normalize.js';
import { checkReferences, Lookup } from './references.js';
import { checkRefusedFields } from './refused.js';
import { checkServiceTls } from './service-tls.js';
import { checkRouteMethods } from './uws-methods.js';
import { resolveSecrets } from './secrets.js';
import type { Config, Diagnostic, LoadResult } from './types.js';
import { validateDocument, type PluginLookup } from './validate.js';
import { defaultPluginLookup } from './plugin-lookup.js';
import { isObj, type Obj } from './walk.js';

export type { Config, Diagnostic, LoadResult } from './types.js';

export interface LoadOptions {
  /** Environment for {vault://env/...} (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Parse with `yaml` only, skipping js-yaml's fast pass (load.ts); tests compare the two. */
  exact?: boolean;
  /** The plugins to validate against (default: the process's active catalogue, bundled + custom). */
  catalogue?: PluginLookup;
  /**
   * `--offline`: check the syntax of `{vault://...}` references but resolve none. A reference's
   * text stays as the value (so `diff` compares references as text), and nothing is reported
   * about the value it stands for (its type or format is unknown without the secret).
   */
  offline?: boolean;
  /**
   * The uWebSockets.js build that will serve this configuration (its version, `20.30.0`; null
   * when none loads here): route methods it closes the connection for are warned about
   * (uws-methods.ts). Undefined: no build check. Config code never loads uWS itself.
   */
  uws?: string | null;
}

/** Reads and loads a configuration file (synchronously). */
export function loadConfigFile(file: string, opts: LoadOptions = {}): LoadResult {
  const abs = resolve(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, errors: [{ file: abs, line: 1, column: 1, message: `cannot read ${abs} (${code})`, severity: 'error' }], warnings: [] };
  }
  const text = decodeUtf8(bytes);
  if (typeof text !== 'string') return { ok: false, errors: [{ file: abs, ...text, severity: 'error' }], warnings: [] };
  return loadConfigString(text, abs, opts);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The file's text, or where it stops being UTF-8. YAML files are Unicode; a byte that is not
 * UTF-8 would otherwise become U+FFFD silently (a key or a secret the author never wrote).
 */
export function decodeUtf8(bytes: Buffer): string | { line: number; column: number; message: string } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { line: 1, column: 1, message: 'the file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8' };
  }
  try {
    return utf8.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const before = utf8.decode(bytes.subarray(0, bad));
    const nl = before.lastIndexOf('\n');
    const line = before.split('\n').length;
    return { line, column: before.length - nl, message: `the file is not valid UTF-8 (byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')}): YAML files are UTF-8` };
  }
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let n: number;
    let min: number;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xc2 && c <= 0xdf) { n = 1; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { n = 2; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; min = 0x10000; }
    else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return b.length;
}

/**
 * gateway.yaml text → Config: parse (positions kept) → resolve vault references → migrate to 3.0
 * → validate against schemas/ → check references → normalize. YAML errors stop early; otherwise
 * every error of every stage is reported, sorted by line.
 */
export function loadConfigString(text: string, file: string, opts: LoadOptions = {}): LoadResult {
  let r: LoadResult;
  try {
    r = loadChecked(text, file, opts);
  } catch (e) {
    // A bug, not a property of the file: still a FILE:LINE:COL error (the gateway keeps serving
    // its last good configuration; validate exits 1), never a stack trace.
    const what = e instanceof RangeError ? `${e.message} (the document is too deep or too large)` : e instanceof Error ? e.message : String(e);
    return { ok: false, errors: [{ file, line: 1, column: 1, message: `cannot load the configuration: ${clip(what)}`, severity: 'error' }], warnings: [] };
  }
  const clipAll = (ds: Diagnostic[]): Diagnostic[] => (ds.some((d) => d.message.length > MAX_MESSAGE) ? ds.map((d) => ({ ...d, message: clip(d.message) })) : ds);
  return r.ok ? { ...r, warnings: clipAll(r.warnings) } : { ...r, errors: clipAll(r.errors), warnings: clipAll(r.warnings) };
}

/** A message quotes values from the file; a 10 MB value is cut to its ends. */
const MAX_MESSAGE = 1000;
function clip(m: string): string {
  return m.length <= MAX_MESSAGE ? m : `${m.slice(0, MAX_MESSAGE / 2)}… (${m.length - MAX_MESSAGE} characters) …${m.slice(-MAX_MESSAGE / 2)}`;
}

function loadChecked(text: string, file: string, opts: LoadOptions): LoadResult {
  const parsed = parseYaml(text, file, opts.exact === true);
  if (!parsed.ok) return { ok: false, errors: sortDiagnostics(parsed.errors), warnings: [] };
  const doc = parsed.doc;
  const root = doc.value as Obj;

  const issues: Issue[] = [];
  const secrets = resolveSecrets(root, file, opts.env ?? process.env, { offline: opts.offline === true });
  issues.push(...secrets.issues);
  issues.push(...migrate(root));
  // Messages name entities (services[orders].routes[by-id]); ids and lookups use index paths.
  const validation = withEntityNames(root, () => validateDocument(root, opts.catalogue ?? defaultPluginLookup()));
  // A value already reported (an unresolved secret, a bad _format_version) gets no schema noise on top.
  issues.push(...notUnder(root, issues, validation.issues));
  const ents = collectEntities(root);
  const lookup = new Lookup(ents);
  issues.push(...notUnder(root, issues, withEntityNames(root, () => checkReferences(ents, lookup))));
  issues.push(...notUnder(root, issues, checkServiceTls(root, ents)));
  issues.push(...notUnder(root, issues, checkRefusedFields(ents)));
  issues.push(...notUnder(root, issues, withEntityNames(root, () => checkRouteMethods(ents.routes, opts.uws))));

  if (secrets.referencePaths.length > 0) {
    // Offline: a value behind a reference is unknown; drop what later stages said about it.
    const refs = secrets.referencePaths.map((p) => formatPath(p));
    const kept = issues.filter((i) => i.severity !== 'error' || !refs.some((r) => { const p = formatPath(i.path); return p === r || p.startsWith(`${r}.`) || p.startsWith(`${r}[`); }));
    issues.length = 0;
    issues.push(...kept);
  }
  // Exact positions for what is reported: parse again with `yaml` (a valid file never does).
  if (issues.length > 0 && !doc.exact) return loadChecked(text, file, { ...opts, exact: true });
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
