/**
 * The lookup's result, and the template scan it shares with the lookup. `params`, `upstreamPath`
 * and `strippedPrefix` are built on first read and kept: many callers never read them.
 */
import type { Route } from '../config/types.js';
import { upstreamPathFor } from '../proxy/upstream-path.js';
import { K_PREFIX, K_REGEX, K_TEMPLATE, P_LIT, P_PARAM, type Entry } from './entry.js';
import type { RouteMatch } from './types.js';

/**
 * Template parameter positions (start, end pairs) written by `templateScan`. Shared: a scan and
 * the reads of its positions happen in one synchronous call.
 */
let tplPos = new Int32Array(64);

/** Makes room for a template with `params` parameters (compile time). */
export function reserveTemplateParams(params: number): void {
  if (params * 2 > tplPos.length) tplPos = new Int32Array(params * 2);
}

/** Matches a template path whose literal prefix `e.key` the tree walk already matched. */
export function templateScan(e: Entry, path: string): boolean {
  const kinds = e.tplKinds!;
  const texts = e.tplTexts;
  const pos = tplPos;
  const len = path.length;
  let p = e.key.length;
  let w = 0;
  for (let k = 0; k < kinds.length; k++) {
    if (k > 0) {
      if (path.charCodeAt(p) !== 47) return false;
      p++;
    }
    const kind = kinds[k];
    if (kind === P_LIT) {
      const t = texts[k]!;
      if (!path.startsWith(t, p)) return false;
      p += t.length;
      if (p < len && path.charCodeAt(p) !== 47) return false;
    } else if (kind === P_PARAM) {
      let q = path.indexOf('/', p);
      if (q < 0) q = len;
      if (q === p) return false;
      pos[w++] = p;
      pos[w++] = q;
      p = q;
    } else {
      if (p >= len) return false;
      pos[w++] = p;
      pos[w++] = len;
      p = len;
    }
  }
  return p === len;
}

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

  constructor(e: Entry, path: string, x: RegExpExecArray | null) {
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
      if (!e.strip && e.base.length === 1 && !e.v1) this.up = path; // the common case, no allocation
      else this.up = upstreamPathFor(e.base, e.strip, e.v1, path, this.matchedLen());
    }
    return this.up;
  }

  get strippedPrefix(): string | null {
    if (this.sp === undefined) {
      const path = this.path;
      const e = this.e;
      if (!e.strip) this.sp = null;
      else if (e.kind === K_PREFIX) this.sp = e.path; // what the prefix matched is the prefix itself
      else {
        const len = this.matchedLen();
        this.sp = len <= 0 ? null : len === path.length ? path : path.slice(0, len);
      }
    }
    return this.sp;
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
      if (e.tplParams > 0 && templateScan(e, path)) {
        params = {};
        const kinds = e.tplKinds!;
        const pos = tplPos;
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
