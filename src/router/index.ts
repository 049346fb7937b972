/**
 * The request router: Kong `traditional_compatible` semantics, compiled once per snapshot.
 *
 *   types.ts        the interface (Router, MatchInput, RouteMatch): all the rest of Sluice sees
 *   paths.ts        route path syntax: prefix / regex / template; validation
 *   entry.ts        one compiled (route, path) pair
 *   compile.ts      compiling routes into entries, and Kong's priority (compareEntries)
 *   constraints/    route attributes as strategies (methods, protocols, hosts, snis, headers);
 *                   a new attribute is a module there plus a line in constraints/index.ts
 *   tree.ts         the radix tree of literal path prefixes, flattened for lookup
 *   router.ts       buckets per exact host, and the lookup
 *   match.ts        the result: params, upstreamPath, strippedPrefix on first read
 *   explain.ts      `sluice explain`'s reasons
 * The upstream-path rewrite (strip_path × path_handling) is src/router/upstream-path.ts: the match
 * result computes it lazily, so it stays beside the router (a leaf module with no imports).
 */
import type { RouterFactory } from './types.js';
import { CompiledRouter } from './router.js';

export { checkRoutePath, checkRouteHeaderValue } from './paths.js';
export { upstreamPathFor } from './upstream-path.js';

export const createRouter: RouterFactory = (routes, services) => new CompiledRouter(routes, services);
