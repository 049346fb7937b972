/**
 * The lookup's result. `params`, `upstreamPath`
 * and `strippedPrefix` are built on first read and kept: many callers never read them.
 */
import type { Route } from '../config/types.js';
import { escapePath, isSafeAsSent, isSafePath, upstreamPathFor } from './upstream-path.js';
import { K_PREFIX, K_REGEX, K_TEMPLATE, P_LIT, templatePositions, type Entry } from './entry.js';
import type { RouteMatch } from './types.js';

/**
 * A RouteMatch that defers the work many callers of a lookup never need, or need once: the
 * params object, the upstream path and the stripped prefix are built on first read and kept.
 * A regex path is exec()ed while matching only when its result can need the captures (named
 * groups, or strip_path); otherwise it is only test()ed.
 */
export class Match implements RouteMatch {
  private readonly e: Entry;
  private readonly path: string;
  /** The regex's exec() result when matching ran it, else null. */
  private readonly x: RegExpExecArray | null;
  /** Length of the path matched by the route's path (-1: no path); -2 until computed. */
  private len = -2;
  private p: Record<string, string> | null | undefined = undefined;
  private up: string | undefined = undefined;
  private sp: string | null | undefined = undefined;
  /** The request path needs no escaping upstream (0 = not known yet, 1 = safe, 2 = not). */
  private safe = 0;

  constructor(e: Entry, path: string, x: RegExpExecArray | null, private readonly asSent = false) {
    this.e = e;
    this.path = path;
    this.x = x;
  }

  get route(): Route {
    return this.e.route;
  }

  get index(): number {
    return this.e.routeIndex;
  }

  get matchedPath(): string | null {
    return this.e.path;
  }

  get params(): Record<string, string> | null {
    if (this.p === undefined) this.resolve();
    return this.p!;
  }

  get upstreamPath(): string {
    if (this.up === undefined) {
      const e = this.e;
      const path = this.path;
      // the common case first: no rewrite, and (unless it holds decoded characters) no allocation
      const up = !e.strip && e.base.length === 1 && !e.v1 ? path : upstreamPathFor(e.base, e.strip, e.v1, path, this.matchedLen());
      // escaped as a whole only when the request path or the base holds something to escape:
      // scanning the flat request path is cheaper than scanning the concatenation
      this.up = this.pathSafe() && e.baseSafe ? up : escapePath(up);
    }
    return this.up;
  }

  get strippedPrefix(): string | null {
    if (this.sp === undefined) {
      const path = this.path;
      const e = this.e;
      if (!e.strip) this.sp = null;
      else if (e.kind === K_PREFIX) this.sp = e.pathEscaped; // what the prefix matched is the prefix itself
      else {
        const len = this.matchedLen();
        const sp = len <= 0 ? null : len === path.length ? path : path.slice(0, len);
        this.sp = sp === null || this.pathSafe() ? sp : escapePath(sp);
      }
    }
    return this.sp;
  }

  private pathSafe(): boolean {
    if (this.safe === 0) this.safe = isSafePath(this.path) || (this.asSent && isSafeAsSent(this.path)) ? 1 : 2;
    return this.safe === 1;
  }

  private matchedLen(): number {
    if (this.len === -2) this.resolve();
    return this.len;
  }

  /** Computes params and the matched length. */
  private resolve(): void {
    const e = this.e;
    const path = this.path;
    let params: Record<string, string> | null = null;
    let len = -1;
    if (e.kind === K_PREFIX) len = e.prefixLen;
    else if (e.kind === K_TEMPLATE) {
      len = path.length;
      if (e.tplParams > 0 && e.scan(path)) {
        params = {};
        const kinds = e.tplKinds!;
        const pos = templatePositions();
        let w = 0;
        for (let k = 0; k < kinds.length; k++) {
          if (kinds[k] === P_LIT) continue;
          params[e.tplTexts[k]!] = path.slice(pos[w]!, pos[w + 1]!);
          w += 2;
        }
      }
    } else if (e.kind === K_REGEX) {
      const m = this.x;
      if (m !== null) {
        len = m[0].length;
        const g = m.groups;
        if (g !== undefined) {
          const names = e.regexGroups;
          for (let k = 0; k < names.length; k++) {
            const v = g[names[k]!];
            if (v !== undefined) (params ??= {})[names[k]!] = v;
          }
        }
      }
    }
    this.len = len;
    this.p = params;
  }
}
