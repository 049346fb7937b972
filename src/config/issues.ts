import type { Diagnostic } from './types.js';

/** A JSON path into the configuration document, e.g. ["services", 0, "routes", 1]. */
export type JsonPath = Array<string | number>;

/**
 * A problem found by a stage, located by JSON path. Stages work on plain values; `load.ts`
 * turns the path into FILE:LINE:COL at the end (`atKey`: point at the key rather than the value,
 * e.g. for an unknown key).
 */
export interface Issue {
  path: JsonPath;
  message: string;
  severity: 'error' | 'warning';
  atKey?: boolean;
  /** The whole value at `path` is wrong: later stages say nothing more about it or below it. */
  subtree?: boolean;
}

export const err = (path: JsonPath, message: string, atKey = false): Issue => ({ path, message, severity: 'error', atKey });
export const warn = (path: JsonPath, message: string): Issue => ({ path, message, severity: 'warning' });

/** `services[0].routes[1].paths[0]`; keys that are not identifiers are quoted: `headers["x a"]`. */
export function formatPath(path: JsonPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? 'top level' : out;
}

export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.line - b.line || a.column - b.column);
}
