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

/** What names an entity in a message, by the collection it is in (never a credential: keys are secrets). */
const NAME_KEY: Readonly<Record<string, string>> = {
  services: 'name', routes: 'name', consumers: 'username', consumer_groups: 'name', upstreams: 'name', plugins: 'name', targets: 'target',
};
const NAMEABLE = /^[A-Za-z0-9_.~:/-]+$/;

let naming: unknown = null;
const nameCounts = new WeakMap<unknown[], Map<unknown, number>>();

/**
 * Runs `fn` with messages naming entities by their document `root`: `services[orders].routes[by-id]`
 * rather than `services[0].routes[1]`, where a name is set and unique in its list (an index
 * otherwise). Only for messages: ids and lookups keep using index paths.
 */
export function withEntityNames<T>(root: unknown, fn: () => T): T {
  const prev = naming;
  naming = root;
  try {
    return fn();
  } finally {
    naming = prev;
  }
}

function entityName(list: unknown, key: string, index: number): string | undefined {
  if (!Array.isArray(list)) return undefined;
  const item: unknown = list[index];
  if (item === null || typeof item !== 'object') return undefined;
  const name = (item as Record<string, unknown>)[key];
  if (typeof name !== 'string' || !NAMEABLE.test(name) || /^[0-9]+$/.test(name)) return undefined;
  let counts = nameCounts.get(list);
  if (counts === undefined) {
    counts = new Map();
    for (const o of list) {
      const n = o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[key] : undefined;
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    nameCounts.set(list, counts);
  }
  return counts.get(name) === 1 ? name : undefined;
}

/**
 * `services[0].routes[1].paths[0]`, or with withEntityNames `services[orders].routes[by-id].paths[0]`;
 * keys that are not identifiers are quoted: `headers["x a"]`.
 */
export function formatPath(path: JsonPath): string {
  let out = '';
  let cur: unknown = naming;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const parent = cur;
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[seg] : undefined;
    if (typeof seg === 'number') {
      const prevKey = path[i - 1];
      const name = typeof prevKey === 'string' && NAME_KEY[prevKey] !== undefined ? entityName(parent, NAME_KEY[prevKey]!, seg) : undefined;
      out += `[${name ?? seg}]`;
    }
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? 'top level' : out;
}

export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.line - b.line || a.column - b.column);
}
