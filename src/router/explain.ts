/**
 * `sluice explain`: the slow path. Every route in priority order, with why it matched or not:
 * the first constraint (in the CONSTRAINTS table's order) that fails, else its paths.
 */
import type { Route } from '../config/types.js';
import { CONSTRAINTS } from './constraints/index.js';
import { splitHost } from './constraints/hosts.js';
import type { RequestView } from './constraints/types.js';
import { K_PREFIX, K_REGEX, K_TEMPLATE, type Entry } from './entry.js';
import type { ExplainStep, MatchInput, RouteMatch, Router } from './types.js';

export interface ExplainableRouter extends Router {
  compiled(): readonly Entry[];
}

export function explain(router: ExplainableRouter, input: MatchInput): { match: RouteMatch | null; steps: ExplainStep[] } {
  const match = router.match(input);
  const { name: hostName, port } = splitHost(input.host, input.port);
  const view: RequestView = { input, hostName, port };
  const steps: ExplainStep[] = [];
  const byRoute = new Map<Route, Entry[]>();
  for (const e of router.compiled()) {
    const l = byRoute.get(e.route);
    if (l === undefined) byRoute.set(e.route, [e]);
    else l.push(e);
  }
  for (const route of router.ordered()) {
    const es = byRoute.get(route)!;
    const e0 = es[0]!;
    let reason: string | null = null;
    for (const c of CONSTRAINTS) {
      const state = e0.byName.get(c.name);
      // a route with hosts both with and without a port has an entry for each kind
      if (state === undefined || es.some((e) => c.test(e.byName.get(c.name), input, hostName, port))) continue;
      reason = c.why(state, view, route);
      break;
    }
    if (reason === null && route.paths.length > 0) reason = pathsReason(route, es, input.path);
    const isMatch = match !== null && match.route === route;
    if (reason === null)
      reason = isMatch
        ? `matched${match.matchedPath !== null ? ` path ${match.matchedPath}` : ''}`
        : 'matches, but a route with higher priority matched first';
    steps.push({ route, matched: isMatch, reason });
  }
  return { match, steps };
}

/** Null when one of the route's paths matches, else why none does. */
function pathsReason(route: Route, es: Entry[], path: string): string | null {
  const why: string[] = [];
  let matched = false;
  for (const e of es.filter((x, i) => es.findIndex((y) => y.path === x.path) === i)) {
    const p = e.path!;
    if (e.kind === K_PREFIX) {
      if (path.startsWith(p)) matched = true;
      else why.push(`path ${p} is not a prefix of ${path}`);
    } else if (e.kind === K_REGEX) {
      if (e.regex!.test(path)) matched = true;
      else why.push(`regex ${p} does not match ${path}`);
    } else if (e.kind === K_TEMPLATE) {
      if (path.startsWith(e.key) && e.scan(path)) matched = true;
      else why.push(`template ${p} does not match ${path}`);
    }
  }
  for (const p of route.paths) if (!es.some((e) => e.path === p)) why.push(`path ${p} is invalid and never matches`);
  return matched ? null : why.join('; ');
}
