/**
 * One compiled (route, path) pair: what the tree files, what compile.ts ranks and what a lookup
 * tests. Fields read on every lookup that reaches the entry come first (shared cache lines).
 */
import type { Route } from '../config/types.js';
import type { Constraint } from './constraints/types.js';

// Entry.kind: the path's kind
export const K_NONE = 0;
export const K_PREFIX = 1;
export const K_REGEX = 2;
export const K_TEMPLATE = 3;

// template parts (Entry.tplKinds)
export const P_LIT = 0;
export const P_PARAM = 1;
export const P_REST = 2;

// Entry.flags: what besides the method mask a lookup must test (0 = accept at once)
/** Some constraint strategy (hosts, headers, snis, protocols, ...) has state for this entry. */
export const F_CHECKS = 1;
/** Regex or template path: the path itself must be tested (a prefix is matched by the tree). */
export const F_PATH = 2;

/**
 * Request method bit for methods no route lists (and methods beyond the 30th distinct one, which
 * share it and are told apart by the methods constraint). Bit 30, not 31: masks stay small ints.
 */
export const M_OTHER = 1 << 30;

export class Entry {
  rank = 0;
  /** Bits of the accepted methods; -1 (every bit) when the route has no methods. */
  methodMask = -1;
  flags = 0;
  kind = K_NONE;
  /** Index of the route in ordered(). */
  routeIndex = 0;
  readonly route: Route;
  path: string | null = null;
  prefixLen = 0;
  strip = true;
  v1 = false;
  base = '/';
  /** `base` needs no escaping upstream. */
  baseSafe = true;
  /** `path` as it goes upstream (X-Forwarded-Prefix of a prefix path). */
  pathEscaped: string | null = null;
  /** Tree key: literal prefix of the path. */
  key = '';
  // --- path
  pathIdx = 0;
  regex: RegExp | null = null;
  /** Named groups of the regex, in order ([] when none). */
  regexGroups: string[] = [];
  /** The match result needs the regex's exec() (named groups or strip_path): run it, not test(). */
  regexExec = false;
  tplKinds: Uint8Array | null = null;
  tplTexts: string[] = [];
  tplParams = 0;
  // --- constraints: parallel arrays, in the order of the CONSTRAINTS table (methods excluded:
  // the method mask above prefilters, see `methodsState`)
  checks: Array<Constraint<unknown>> = [];
  states: unknown[] = [];
  /** Every constraint's compiled state by name (also methods), for explain and bucketing. */
  byName: Map<string, unknown> = new Map();
  /** The methods constraint's state when the mask alone cannot tell (methods past the 30th). */
  methodsState: unknown = null;
  // --- priority (compile.ts compareEntries)
  weight = 0;
  plainHostOnly = 0;
  headerCount = 0;
  pathClass = 0;
  regexPriority = 0;
  isTemplate = 0;
  literalSegments = 0;
  greedy = 0;
  segments = 0;
  /** The entry's hosts are written with a port (compile.ts priority rule 5). */
  portSpecific = 0;
  order = 0;

  constructor(route: Route) {
    this.route = route;
  }

  /**
   * Matches a template path whose literal prefix `key` the tree walk already matched, and leaves
   * the parameters' positions in `templatePositions()`. (A method: the lookup calls it through the
   * entry, which V8 inlines better than a function imported from another module.)
   */
  scan(path: string): boolean {
    return templateScan(this, path);
  }
}

/** [] shared by every tree node without candidates. */
export const EMPTY: Entry[] = [];

/**
 * Template parameter positions (start, end pairs) written by `templateScan`. Shared: a scan and
 * the reads of its positions happen in one synchronous call.
 */
let tplPos = new Int32Array(64);

/** The positions the last `Entry.scan` wrote. */
export function templatePositions(): Int32Array {
  return tplPos;
}

/** Makes room for a template with `params` parameters (compile time). */
export function reserveTemplateParams(params: number): void {
  if (params * 2 > tplPos.length) tplPos = new Int32Array(params * 2);
}

/** Matches a template path whose literal prefix `e.key` the tree walk already matched. */
function templateScan(e: Entry, path: string): boolean {
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

