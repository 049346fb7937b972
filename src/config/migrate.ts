import { err, warn, type Issue } from './issues.js';

export const SUPPORTED_FORMAT_VERSIONS = ['1.1', '2.1', '3.0'] as const;

/**
 * Kong's 3.0 migration rule for route paths (kong/db/declarative/migrations/route_path.lua, and
 * `deck file convert`): before 3.0 a path was a regex when it held any character outside
 * `[a-zA-Z0-9._~/%-]`; from 3.0 a regex needs a leading `~`. Paths already starting with `~`
 * are left alone.
 */
export function migrateRoutePath(path: string): string {
  if (path.startsWith('~') || /^[a-zA-Z0-9._~/%-]*$/.test(path)) return path;
  return `~${path}`;
}

/**
 * Brings a parsed document to format 3.0, in place: checks `_format_version`, drops null-valued
 * entity fields (Kong treats `key: ~` as unset; exported kong.yml files are full of them), warns
 * about `_workspace`, and adds `~` to the regex paths of 1.1/2.1 files.
 */
export function migrate(root: Record<string, unknown>): Issue[] {
  const issues: Issue[] = [];
  const version = root._format_version;
  if (version === undefined) {
    const hint = 'version' in root ? ` (found "version": Kong's declarative format needs _format_version instead)` : '';
    issues.push(err([], `_format_version is missing: add _format_version: "3.0" at the top${hint}`));
  } else if (typeof version !== 'string') {
    issues.push(err(['_format_version'], `_format_version must be a quoted string, e.g. _format_version: "3.0"`));
  } else if (!(SUPPORTED_FORMAT_VERSIONS as readonly string[]).includes(version)) {
    issues.push(err(['_format_version'], `_format_version "${version}" is not supported (use "3.0"; "1.1" and "2.1" are migrated)`));
  }
  if ('_workspace' in root) {
    issues.push(warn(['_workspace'], '_workspace is ignored: Sluice has no workspaces'));
  }
  dropNulls(root);
  if (version === '1.1' || version === '2.1') {
    forEachRoute(root, (route) => {
      if (Array.isArray(route.paths)) route.paths = route.paths.map((p) => (typeof p === 'string' ? migrateRoutePath(p) : p));
    });
    root._format_version = '3.0';
  }
  return issues;
}

/**
 * Removes `key: null` from every mapping except inside a plugin's `config` (whose nulls mean
 * something). Iterative, each container once (the loader bounds the shape, shape.ts).
 */
function dropNulls(root: unknown): void {
  const seen = new Set<object>();
  const stack: Array<{ value: unknown; top: boolean }> = [{ value: root, top: true }];
  while (stack.length > 0) {
    const { value, top } = stack.pop()!;
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      for (const v of value) stack.push({ value: v, top: false });
      continue;
    }
    const obj = value as Record<string, unknown>;
    for (const [k, v] of Object.entries(obj)) {
      if (v === null) delete obj[k];
      else if (!(k === 'config' && !top)) stack.push({ value: v, top: false });
    }
  }
}

function forEachRoute(root: Record<string, unknown>, fn: (route: Record<string, unknown>) => void): void {
  const each = (list: unknown, f: (o: Record<string, unknown>) => void): void => {
    if (Array.isArray(list)) for (const o of list) if (o !== null && typeof o === 'object' && !Array.isArray(o)) f(o as Record<string, unknown>);
  };
  each(root.services, (s) => each(s.routes, fn));
  each(root.routes, fn);
}
