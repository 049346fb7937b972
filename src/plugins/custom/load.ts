/**
 * Loading custom plugins from the plugin directories (SLUICE_PLUGINS_DIR / --plugins-dir) into
 * a Catalogue, as Kong's `plugins = bundled,my-plugin`: each `*.js`, `*.mjs`, `*.cjs` file or
 * folder with an `index.js` (`index.mjs`, `index.cjs`) is one plugin named after it.
 *
 * Two formats: a kong-js-pdk module (`{ Plugin, Schema, Version, Priority }`) and a native Sluice
 * plugin (a PluginDefinition as the default export or `plugin`). Each load is a new module
 * instance, so a reload after a plugin file changed runs the new code while requests in flight
 * finish on the old one: ES modules are imported with a query string naming the files' content
 * hash; CommonJS ones are required after their entries in require.cache were dropped.
 *
 * CommonJS plugins load through `createRequire(file)`, which also works in the single binary (a
 * CommonJS bundle, where `import()` of a file may be unavailable); ES module plugins load with
 * `import(fileURL)`, falling back to `require` (Node ≥ 22.12 loads ES modules synchronously) when
 * dynamic import is not available.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLED, Catalogue, type PluginOrigin } from '../catalogue.js';
import { PLUGIN_API_VERSION } from '../api.js';
import type { PluginDefinition } from '../types.js';
import { isKongModule, kongDefinition, PluginLoadError } from '../kong-pdk/adapter.js';

export { PluginLoadError } from '../kong-pdk/adapter.js';

/** Which plugins a gateway loads (SPEC §2). */
export interface PluginsSpec {
  /** Directories of custom plugins, in order. */
  dirs: string[];
  /** SLUICE_PLUGINS as given (comma-separated: `bundled`, plugin names), or null for the default: bundled + every plugin found. */
  enabled: string | null;
}

export const NO_CUSTOM_PLUGINS: PluginsSpec = { dirs: [], enabled: null };

/** SLUICE_PLUGINS_DIR (`:`-separated) plus --plugins-dir flags, and SLUICE_PLUGINS. */
export function pluginsSpecFrom(flagDirs: readonly string[] | string | undefined, env: NodeJS.ProcessEnv = process.env): PluginsSpec {
  const fromFlags = flagDirs === undefined ? [] : Array.isArray(flagDirs) ? flagDirs : [flagDirs as string];
  const raw = fromFlags.length > 0 ? fromFlags : env.SLUICE_PLUGINS_DIR ? [env.SLUICE_PLUGINS_DIR] : [];
  const dirs = raw.flatMap((d) => d.split(':')).filter((d) => d !== '').map((d) => resolve(d));
  const enabled = env.SLUICE_PLUGINS !== undefined && env.SLUICE_PLUGINS.trim() !== '' ? env.SLUICE_PLUGINS : null;
  return { dirs, enabled };
}

interface Found {
  name: string;
  /** The module to load. */
  file: string;
  /** Files whose content makes the plugin's version (the file, or every file of the folder). */
  files: string[];
  /** What to drop from require.cache on reload (the file, or the folder). */
  root: string;
}

const EXTS = ['.js', '.mjs', '.cjs'];

function listFiles(dir: string, depth = 0): string[] {
  if (depth > 4) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, depth + 1));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** Every plugin in the directories; throws PluginLoadError on a duplicate name or a missing directory. */
export function discover(dirs: readonly string[]): Found[] {
  const out = new Map<string, Found>();
  for (const dir of dirs) {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new PluginLoadError(`plugins directory ${dir}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      let found: Found | null = null;
      const isDir = e.isDirectory() || (e.isSymbolicLink() && statSync(p).isDirectory());
      if (isDir) {
        const index = ['index.js', 'index.mjs', 'index.cjs'].map((f) => join(p, f)).find((f) => existsSync(f));
        if (index !== undefined) found = { name: e.name, file: index, files: listFiles(p), root: p + sep };
      } else if (EXTS.includes(extname(e.name))) {
        found = { name: basename(e.name, extname(e.name)), file: p, files: [p], root: p };
      }
      if (found === null) continue;
      const prev = out.get(found.name);
      if (prev !== undefined) throw new PluginLoadError(`plugin ${found.name} is defined twice: ${prev.file} and ${found.file}`);
      out.set(found.name, found);
    }
  }
  return [...out.values()];
}

/** A hash of the plugin files' names and bytes: changes exactly when a reload must load new code. */
export function pluginsVersion(spec: PluginsSpec): string {
  if (spec.dirs.length === 0) return '';
  const h = createHash('sha256');
  h.update(spec.enabled ?? '');
  for (const dir of spec.dirs) {
    h.update(`\0dir\0${dir}`);
    let found: Found[];
    try {
      found = discover([dir]);
    } catch (e) {
      h.update(`\0error\0${(e as Error).message}`);
      continue;
    }
    for (const f of found) {
      for (const file of f.files) {
        h.update(`\0${file}\0`);
        try {
          h.update(readFileSync(file));
        } catch {
          h.update('missing');
        }
      }
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** The files a reload watches: the directories and every plugin file in them. */
export function pluginFiles(spec: PluginsSpec): string[] {
  try {
    return discover(spec.dirs).flatMap((f) => f.files);
  } catch {
    return [];
  }
}

function nearestPackageType(file: string): string | undefined {
  for (let d = dirname(file); ; d = dirname(d)) {
    const pj = join(d, 'package.json');
    if (existsSync(pj)) {
      try {
        return (JSON.parse(readFileSync(pj, 'utf8')) as { type?: string }).type;
      } catch {
        return undefined;
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

async function importFresh(f: Found, version: string): Promise<unknown> {
  const ext = extname(f.file);
  const esm = ext === '.mjs' || (ext === '.js' && nearestPackageType(f.file) === 'module');
  const req = createRequire(f.file);
  if (!esm) {
    for (const k of Object.keys(req.cache)) if (k === f.root || k.startsWith(f.root)) delete req.cache[k];
    return req(f.file);
  }
  try {
    return await import(`${pathToFileURL(f.file).href}?v=${version}`);
  } catch (e) {
    // A kong-js-pdk plugin (module.exports) in a folder whose package.json says "type": "module":
    // load it as the CommonJS it is, as Kong's plugin server would.
    if (e instanceof ReferenceError && /\b(module|exports|require) is not defined in ES module scope/.test(e.message)) return compileCommonJs(f.file);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING' || code === 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG') return req(f.file);
    throw e;
  }
}

/** Compiles `file` as a CommonJS module whatever package.json says (a fresh instance each time). */
function compileCommonJs(file: string): unknown {
  const m = new Module(file) as Module & { _compile(code: string, file: string): void; filename: string; paths: string[] };
  m.filename = file;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  m._compile(readFileSync(file, 'utf8'), file);
  return m.exports;
}

/** The native definition a module exports (default export, `plugin`, or the module itself), if any. */
function nativeDefinition(mod: unknown): PluginDefinition | null {
  const m = mod as Record<string, unknown> | null;
  for (const c of [m?.default, m?.plugin, (m?.default as Record<string, unknown> | undefined)?.default, m]) {
    if (c !== null && typeof c === 'object' && typeof (c as PluginDefinition).create === 'function') return c as PluginDefinition;
  }
  return null;
}

export async function loadPlugin(f: Found, version: string): Promise<{ def: PluginDefinition; origin: PluginOrigin }> {
  let mod: unknown;
  try {
    mod = await importFresh(f, version);
  } catch (e) {
    throw new PluginLoadError(`plugin ${f.name} (${f.file}) failed to load: ${(e as Error).message}`);
  }
  const kong = isKongModule(mod) ? mod : isKongModule((mod as { default?: unknown } | null)?.default) ? (mod as { default: unknown }).default : null;
  if (kong !== null && isKongModule(kong)) {
    const name = typeof kong.Name === 'string' && kong.Name !== '' ? kong.Name.toLowerCase() : f.name;
    return { def: kongDefinition(name, kong, f.file), origin: { file: f.file, format: 'kong' } };
  }
  const native = nativeDefinition(mod);
  if (native === null) {
    throw new PluginLoadError(`plugin ${f.name} (${f.file}) exports neither Kong's { Plugin, Schema, Version, Priority } nor a Sluice plugin definition ({ name, priority, schema, create })`);
  }
  const api = (native as { apiVersion?: unknown }).apiVersion;
  if (api !== undefined && (typeof api !== 'number' || api > PLUGIN_API_VERSION)) {
    throw new PluginLoadError(`plugin ${f.name} (${f.file}) needs plugin API version ${String(api)}; this Sluice has ${PLUGIN_API_VERSION}`);
  }
  if (native.name !== undefined && native.name !== f.name) {
    throw new PluginLoadError(`plugin ${f.file} is named ${JSON.stringify(native.name)} but its file is ${f.name}: a plugin is named after its file`);
  }
  if (native.schema === null || typeof native.schema !== 'object') throw new PluginLoadError(`plugin ${f.name} (${f.file}) has no JSON Schema (schema)`);
  const def: PluginDefinition = { ...native, name: f.name, priority: typeof native.priority === 'number' ? native.priority : 0 };
  return { def, origin: { file: f.file, format: 'native' } };
}

/**
 * The catalogue for `spec`: the bundled plugins (unless SLUICE_PLUGINS leaves out `bundled`) and
 * the custom ones enabled. Throws PluginLoadError naming the plugin and file on any problem.
 */
export async function loadCatalogue(spec: PluginsSpec): Promise<Catalogue> {
  if (spec.dirs.length === 0 && spec.enabled === null) return new Catalogue(BUNDLED);
  const version = pluginsVersion(spec);
  const found = discover(spec.dirs);
  const bundledNames = new Set(BUNDLED.map((d) => d.name));
  for (const f of found) {
    if (bundledNames.has(f.name)) throw new PluginLoadError(`plugin ${f.name} (${f.file}) has the name of a bundled plugin: rename it`);
  }
  let wanted: Set<string>;
  let withBundled = true;
  if (spec.enabled === null) wanted = new Set(found.map((f) => f.name));
  else {
    const names = spec.enabled.split(',').map((s) => s.trim()).filter((s) => s !== '');
    withBundled = names.includes('bundled');
    wanted = new Set(names.filter((n) => n !== 'bundled'));
    for (const n of wanted) {
      if (bundledNames.has(n)) continue;
      if (!found.some((f) => f.name === n)) throw new PluginLoadError(`SLUICE_PLUGINS names ${n}, which is neither bundled nor in ${spec.dirs.join(', ') || 'a plugins directory (none set)'}`);
    }
  }
  const defs: PluginDefinition[] = BUNDLED.filter((d) => withBundled || wanted.has(d.name));
  const origins = new Map<string, PluginOrigin>();
  for (const f of found) {
    if (!wanted.has(f.name)) continue;
    const { def, origin } = await loadPlugin(f, version);
    if (bundledNames.has(def.name) || origins.has(def.name)) throw new PluginLoadError(`plugin ${def.name} (${f.file}): the name is taken`);
    defs.push(def);
    origins.set(def.name, origin);
  }
  return new Catalogue(defs, origins, version);
}
