/**
 * Shared shapes for Kong's router cases (kong-unit.data.ts, kong-integration.data.ts): a route
 * builder, Kong's use cases as route lists, and the Case record the table test runs. Kong/kong at
 * commit 22246ef2; facts carried over as data, not code.
 */
import type { Route, Service } from '../../../src/config/types.js';

export const UNIT = 'spec/01-unit/08-router_spec.lua';
export const INTEGRATION = 'spec/02-integration/05-proxy/02-router_spec.lua';

export function route(name: string, order: number, over: Partial<Route>): Route {
  return {
    id: name, name, service: 'svc', paths: [], methods: [], hosts: [], headers: {}, snis: [],
    protocols: ['http', 'https'], strip_path: true, preserve_host: false, regex_priority: 0,
    path_handling: 'v0', https_redirect_status_code: 426, request_buffering: true,
    response_buffering: true, tags: [], order, pos: { file: 't', line: order + 1, column: 1 }, ...over,
  };
}

/**
 * A service for a route's `service` reference: `svc` has no path; `path:/x` has path `/x`;
 * `off:/x` is a disabled service with path `/x` (its routes are dropped, as snapshot/compile does).
 */
export function service(id: string): Service {
  const path = id.startsWith('path:') || id.startsWith('off:') ? id.slice(id.indexOf(':') + 1) : null;
  return {
    id, name: id, protocol: 'http', host: 'upstream', port: 80, path, connect_timeout: 60000,
    read_timeout: 60000, write_timeout: 60000, retries: 5, enabled: !id.startsWith('off:'),
    tls: { verify: null, depth: null, ca: null, client_certificate: null }, tags: [], pos: { file: 't', line: 1, column: 1 },
  };
}

/**
 * A use case of 08-router_spec.lua → routes named "1", "2", ... in Kong's order. Kong's unit
 * tests leave strip_path unset there (off).
 */
export function useCase(...defs: Array<Partial<Route>>): Route[] {
  return defs.map((d, i) => route(String(i + 1), i, { strip_path: false, ...d }));
}

/** A use case of 02-router_spec.lua: routes made through Kong's schema (strip_path defaults on). */
export function intCase(...defs: Array<Partial<Route>>): Route[] {
  return defs.map((d, i) => route(String(i + 1), i, d));
}

export interface Req {
  method?: string;
  path?: string;
  host?: string;
  headers?: Record<string, string | string[]>;
  sni?: string | null;
}

export interface Case {
  /** Kong file and line of the request (a suffix in parentheses tells variants apart). */
  src: string;
  routes: Route[];
  req: Req;
  /** Kong's selected route (its 1-based position in the use case), or null for no match. */
  want: string | null;
  /** Kong's named captures (null: none). */
  params?: Record<string, string> | null;
  /** Kong's upstream path (`upstream_uri` without the query string). */
  upstream?: string;
  /** Kong's stripped prefix (`match_t.prefix`), null when nothing is stripped. */
  prefix?: string | null;
  /**
   * Kong's `select()` is handed the path as it is, without the normalisation `exec()` (and
   * Sluice's request path) applies first: the path reaches the router as written.
   */
  raw?: boolean;
  /**
   * A deliberate difference (README "Compatibility with Kong"): what Sluice selects instead, and
   * why. The case still runs, asserting Sluice's answer.
   */
  differs?: { want: string | null; why: string };
}
