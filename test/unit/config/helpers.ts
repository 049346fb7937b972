import { loadConfigString } from '../../../src/config/index.js';
import type { Config, LoadResult } from '../../../src/config/types.js';

/** YAML from lines, so a test reads line numbers off its array index (+1). */
export const y = (...lines: string[]): string => lines.join('\n') + '\n';

export const FILE = 'gw.yaml';

export function load(text: string, env: NodeJS.ProcessEnv = {}): LoadResult {
  return loadConfigString(text, FILE, { env });
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
