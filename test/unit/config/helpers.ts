import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigString } from '../../../src/config/index.js';
import type { Config, LoadResult } from '../../../src/config/types.js';
import type { PluginLookup } from '../../../src/config/validate.js';

/** The plugin catalogue these helpers validate against (undefined: the process's active one). */
let catalogue: PluginLookup | undefined;
export function useCatalogue(c: PluginLookup | undefined): void {
  catalogue = c;
}

/** YAML from lines, so a test reads line numbers off its array index (+1). */
export const y = (...lines: string[]): string => lines.join('\n') + '\n';

export const FILE = 'gw.yaml';

export function load(text: string, env: NodeJS.ProcessEnv = {}): LoadResult {
  return loadConfigString(text, FILE, { env, catalogue });
}

/** Errors as "LINE:COL message". */
export function errors(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  const r = load(text, env);
  return r.ok ? [] : r.errors.map((e) => `${e.line}:${e.column} ${e.message}`);
}

export function warnings(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  return load(text, env).warnings.map((e) => `${e.line}:${e.column} ${e.message}`);
}

export function config(text: string, env: NodeJS.ProcessEnv = {}): Config {
  const r = load(text, env);
  if (!r.ok) throw new Error(`expected a valid configuration, got:\n${r.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('\n')}`);
  return r.config;
}

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The Kong corpus, copied from ../shared/compat/kong (test/unit/kong-fixtures.test.ts keeps it in step). */
export const corpus = resolve(repoRoot, 'test', 'fixtures', 'kong');

/** Every configuration file we have: the repository's gateway.yaml, the examples, and the Kong corpus. */
export function configFiles(): string[] {
  const files = [join(repoRoot, 'gateway.yaml')];
  const examples = join(repoRoot, 'examples');
  if (existsSync(examples)) for (const f of readdirSync(examples)) if (/\.ya?ml$/.test(f)) files.push(join(examples, f));
  if (existsSync(corpus)) for (const f of readdirSync(corpus)) if (/\.ya?ml$/.test(f)) files.push(join(corpus, f));
  return files;
}

/** A deterministic pseudo-random generator (mulberry32), so a failure reproduces. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
