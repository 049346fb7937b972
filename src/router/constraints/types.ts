/**
 * A route attribute as a constraint strategy (find-my-way's idea): compiled once per route, tested
 * per request. Adding an attribute = one module implementing this + one line in `./index.ts`.
 */
import type { Route } from '../../config/types.js';
import type { MatchInput } from '../types.js';

/**
 * What a constraint sees of a request: the input plus what the router parsed once per lookup,
 * `hostName` (the Host header without its port, '' when absent) and `port` (the Host header's
 * port, else the listener's). Passed as arguments, not in an object: storing a fresh string into
 * a long-lived object on every lookup costs a write barrier.
 */
export interface RequestView {
  input: MatchInput;
  hostName: string;
  port: number;
}

/** How a constraint contributes to Kong's priority (compile.ts reads these). */
export interface PriorityFields {
  plainHostOnly: number;
  headerCount: number;
}

export interface Constraint<S> {
  /** The route attribute (`hosts`), as in messages. */
  readonly name: string;
  /** Counts towards Kong's weight (the number of attributes a route sets) when set. */
  readonly weighs: boolean;
  /** Compiled state for the route, or null when the route does not set the attribute. */
  compile(route: Route): S | null;
  /** Per request: does the request satisfy the route's attribute? Must not allocate on the hot path. */
  test(state: S, input: MatchInput, hostName: string, port: number): boolean;
  /** Why `test` failed, for `sluice explain` (slow path). */
  why(state: S, req: RequestView, route: Route): string;
  /** Contribution to the priority fields beyond the weight. */
  prioritize?(state: S, p: PriorityFields): void;
}

/** Defines a constraint with its state type checked, stored type-erased in the table. */
export function constraint<S>(c: Constraint<S>): Constraint<unknown> {
  return c as Constraint<unknown>;
}
