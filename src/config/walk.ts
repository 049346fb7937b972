import type { JsonPath } from './issues.js';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The objects of `parent[key]` when it is an array, with their paths. */
export function items(parent: Obj, key: string, path: JsonPath): Array<[Obj, JsonPath]> {
  const list = parent[key];
  if (!Array.isArray(list)) return [];
  const out: Array<[Obj, JsonPath]> = [];
  list.forEach((v, i) => {
    if (isObj(v)) out.push([v, [...path, key, i]]);
  });
  return out;
}

export type PluginParent = 'service' | 'route' | 'consumer';

export interface PluginSite {
  plugin: Obj;
  path: JsonPath;
  /** The entity the plugin is nested in, if any (its object and path). */
  parents: Array<{ kind: PluginParent; entity: Obj; path: JsonPath }>;
}

/**
 * Every plugin of the document in file order of its collection: top-level plugins, then those
 * nested in services (and their routes), top-level routes and consumers.
 */
export function pluginSites(root: Obj): PluginSite[] {
  const out: PluginSite[] = [];
  for (const [plugin, path] of items(root, 'plugins', [])) out.push({ plugin, path, parents: [] });
  for (const [svc, sp] of items(root, 'services', [])) {
    for (const [plugin, path] of items(svc, 'plugins', sp)) out.push({ plugin, path, parents: [{ kind: 'service', entity: svc, path: sp }] });
    for (const [route, rp] of items(svc, 'routes', sp)) {
      for (const [plugin, path] of items(route, 'plugins', rp)) {
        out.push({ plugin, path, parents: [{ kind: 'service', entity: svc, path: sp }, { kind: 'route', entity: route, path: rp }] });
      }
    }
  }
  for (const [route, rp] of items(root, 'routes', [])) {
    for (const [plugin, path] of items(route, 'plugins', rp)) out.push({ plugin, path, parents: [{ kind: 'route', entity: route, path: rp }] });
  }
  for (const [c, cp] of items(root, 'consumers', [])) {
    for (const [plugin, path] of items(c, 'plugins', cp)) out.push({ plugin, path, parents: [{ kind: 'consumer', entity: c, path: cp }] });
  }
  return out;
}
