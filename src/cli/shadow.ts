/**
 * `sluice validate`'s warning for a route that can never match: another route comes first in
 * match order (src/router/index.ts) and takes every request the route could take.
 *
 * Conservative: a route is reported only when, for each of its paths, a sample request it
 * matches goes to another route A, and A accepts every request of that path: A sets no
 * headers or snis, its methods and hosts (as written) include the route's, its protocols
 * include the route's, and its matched path is a prefix of the route's literal prefix (a prefix
 * path or a template's text before its first `{`). Regex paths and header routes are never
 * reported (no sample is sure to be general).
 */
import type { Config, Diagnostic, Route } from '../config/types.js';
import type { Router } from '../router/types.js';

const label = (r: Route): string => r.name ?? r.id;

/** A request the path matches, and the literal prefix every such request starts with; null for a regex. */
function sample(path: string | null): { path: string; prefix: string } | null {
  if (path === null) return { path: '/', prefix: '' };
  if (path.startsWith('~')) return null;
  const brace = path.indexOf('{');
  if (brace === -1) return { path, prefix: path };
  return { path: path.replace(/\{[^}]*\}/g, 'x'), prefix: path.slice(0, brace) };
}

const covers = (outer: readonly string[], inner: readonly string[]): boolean => outer.length === 0 || (inner.length > 0 && inner.every((x) => outer.includes(x)));

export function shadowWarnings(config: Config, router: Router, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const route of router.ordered()) {
    if (Object.keys(route.headers).length > 0 || route.snis.length > 0) continue;
    if (route.hosts.some((h) => h.includes('*'))) continue;
    const paths: Array<string | null> = route.paths.length > 0 ? route.paths : [null];
    let by: Route | null = null;
    let shadowed = true;
    for (const p of paths) {
      const s = sample(p);
      if (s === null) {
        shadowed = false;
        break;
      }
      const host = route.hosts[0] ?? '';
      const m = router.match({ method: route.methods[0] ?? 'GET', host, port: 80, path: s.path, headers: {}, sni: null, upgrade: false });
      const a = m?.route;
      if (a === undefined || a === route) {
        shadowed = false;
        break;
      }
      const aPath = m!.matchedPath;
      const pathCovered = aPath === null || (!aPath.startsWith('~') && !aPath.includes('{') && s.prefix.startsWith(aPath));
      const ok = pathCovered && Object.keys(a.headers).length === 0 && a.snis.length === 0 && covers(a.methods, route.methods) && covers(a.hosts, route.hosts) && route.protocols.every((x) => a.protocols.includes(x));
      if (!ok) {
        shadowed = false;
        break;
      }
      by = a;
    }
    if (!shadowed || by === null) continue;
    out.push({
      ...route.pos,
      file,
      severity: 'warning',
      message: `route ${label(route)} can never match: route ${label(by)} comes first in match order and takes every request it could (it sets ${by.paths.length > 0 ? `paths ${by.paths.join(', ')}` : 'no paths'}${by.methods.length > 0 ? `, methods ${by.methods.join(', ')}` : ''}); see sluice routes`,
    });
  }
  void config;
  return out;
}
