import type { Route, Service } from '../config/types.js';

/** What the router needs to know about a request. Everything is already copied out of uWS. */
export interface MatchInput {
  /** Upper-case method as sent (`GET`). */
  method: string;
  /** Host header value, lower-case, possibly with `:port`. Empty string when absent. */
  host: string;
  /** The listener's port the request arrived on (used for hosts written with `:port`). */
  port: number;
  /** Normalized path (dot segments removed, no query string), always starting with `/`. */
  path: string;
  /**
   * The path as the client sent it. When normalisation changed nothing, its characters above
   * U+007F go upstream as the client's own bytes (SPEC §4, bytes are bytes); otherwise what
   * normalisation decoded is re-escaped, as Kong does.
   */
  readonly rawPath?: string;
  /**
   * Request headers with lower-case names (only read when a route has `headers`). A header sent
   * several times may be given as its values (an array) or joined with ", " (then each part is
   * also tried: a route header matches when any one of the request's values does, as in Kong).
   */
  headers: Readonly<Record<string, string | readonly string[]>>;
  /** TLS server name, or null on plain HTTP. */
  sni: string | null;
  /** True for a WebSocket upgrade request: only then can ws/wss-only routes match. */
  upgrade: boolean;
}

/**
 * The router's answer. `params`, `upstreamPath` and `strippedPrefix` may be computed on first read
 * (then kept): read-only, never assign to them.
 */
export interface RouteMatch {
  readonly route: Route;
  /** Position of `route` in `Router.ordered()` (index into per-route precomputed data). */
  readonly index: number;
  /** Template parameters (`{petId}`, `{path+}`) or regex named captures; null when none. */
  readonly params: Record<string, string> | null;
  /**
   * The path to send upstream (no query string), per strip_path / path_handling / service.path,
   * from the normalised path, with what normalisation decoded re-escaped (Kong).
   */
  readonly upstreamPath: string;
  /** The part of the request path removed by strip_path (for X-Forwarded-Prefix), or null. */
  readonly strippedPrefix: string | null;
  /** The entry of route.paths that matched, as written (null for a route without paths). */
  readonly matchedPath: string | null;
}

/** One line of `sluice explain`'s reasoning. */
export interface ExplainStep {
  route: Route;
  matched: boolean;
  /** Why this route matched or did not, e.g. "host api.example.com not in [a.example.com]". */
  reason: string;
}

export interface Router {
  /** The best route for the request, by Kong's traditional_compatible rules, or null. */
  match(input: MatchInput): RouteMatch | null;
  /** Routes in match-priority order (what `sluice routes` prints). */
  ordered(): readonly Route[];
  /** Slow path for `sluice explain`: every route considered, in priority order, with reasons. */
  explain(input: MatchInput): { match: RouteMatch | null; steps: ExplainStep[] };
}

/**
 * Builds a router. `services` maps service id → service (for service.path in upstreamPath).
 * Must not throw for a configuration that passed `validateRoutePath` for every path.
 */
export type RouterFactory = (routes: readonly Route[], services: ReadonlyMap<string, Service>) => Router;
