/**
 * The request router: Kong `traditional_compatible` semantics, compiled once per snapshot.
 *
 * PRIORITY (what `ordered()` returns and the order in which candidates are tried)
 * ---------------------------------------------------------------------------------
 * Like Kong's traditional_compatible router (kong/router/transform.lua `get_priority`, and the
 * traditional router's `sort_routes`), every route is split into one entry per path (a route
 * without paths gives one entry), and entries are sorted by, in this order:
 *   1. weight, descending: how many of methods / hosts / headers / paths / snis the route sets
 *      (sources/destinations are stream-only and not supported);
 *   2. "plain hosts only", descending: a route that sets hosts, none of them a wildcard, beats
 *      one with a wildcard host (and one without hosts);
 *   3. number of header names, descending;
 *   4. path class: regex (`~`) and template (`{}`) paths before prefix paths (and path-less);
 *      - regex/template: `regex_priority` descending; then, beyond Kong, templates before
 *        regexes (a template matches the whole path with a fixed shape, a regex only the start);
 *        among templates: more literal segments first, then `{x}` before a trailing `{x+}`,
 *        then more segments first;
 *      - prefix: longer prefix first (Kong `max_uri_length`);
 *   5. file order (`route.order`), then the position of the path in `route.paths`.
 * A route's position in `ordered()` is that of its best entry. A request is served by the first
 * entry, in this order, whose path and every constraint match.
 *
 * MATCHING
 * ---------------------------------------------------------------------------------
 * - paths: prefix = plain string prefix (Kong: `/foo` matches `/foobar`); regex = anchored at
 *   the start, named groups → params; template = whole path, `{x}` one non-empty segment,
 *   trailing `{x+}` the non-empty rest.
 * - methods: exact, upper case.
 * - hosts: exact, `*.example.com` (suffix, one or more labels), `example.*` (prefix); the port of
 *   a host written `name:port` is compared with the Host header's port, or the listener port
 *   (`MatchInput.port`) when the header has none; a host without port accepts any port.
 * - headers: every configured name must be present with one of its values (lower-cased exact
 *   comparison) or match one of its `~*` regexes (case-insensitive, unanchored, as Kong).
 * - snis: only checked on TLS requests (`sni !== null`), as Kong (`net.protocol != "https" ||`).
 * - protocols: a route whose protocols are only ws/wss matches only upgrade requests.
 *
 * DATA STRUCTURES (all built here; a lookup allocates its result object, and only when needed
 * a regex exec() result and the host name of a Host header with a port)
 * ---------------------------------------------------------------------------------
 * Entries are filed in "buckets": one per exact host name (the entries that list that host),
 * plus one for entries without hosts or with a wildcard host. Each bucket is a character radix
 * tree keyed by the path's literal prefix: the prefix itself, the literal text before the first
 * `{` of a template, the literal start of a regex, or "" for path-less entries. Every node keeps
 * the rank-sorted union of its own entries and its ancestors' (`cum`), so one walk down the
 * tree yields every candidate already in priority order. Once built, each tree is flattened into
 * two Int32Arrays (see FlatTree): node records with their labels and child dispatch, and the
 * candidate lists as (rank, method mask, constraint flags) triples. A request walks at most two
 * trees (its host's bucket and the "other" bucket) and merges the two lists by rank, testing the
 * method mask first, then, only for entries that have them, the other constraints (upgrade,
 * host, sni, headers) and regexes/templates last.
 *
 * The result (class Match) builds params, upstreamPath and strippedPrefix on first read; a regex
 * path is exec()ed while matching only when its result can need the captures (named groups or
 * strip_path), else only test()ed.
 *
 * UPSTREAM PATH
 * ---------------------------------------------------------------------------------
 * Kong's `strip_path` × `path_handling` algorithm (kong/router/utils.lua `get_upstream_uri` for
 * v0, kong/router/traditional.lua for v1), with service.path (or `/`) as the base. The part
 * removed by strip_path is: the prefix for prefix paths, what the regex matched for regex
 * paths, and the WHOLE path for template paths (a template matches the whole path; with
 * strip_path the upstream gets service.path; use `strip_path: false` to forward the path as
 * Amazon API Gateway does).
 */
import type { Route, Service } from '../config/types.js';
import type { ExplainStep, MatchInput, RouteMatch, Router, RouterFactory } from './types.js';
import { compileRegexPath, parseTemplate, pathKind, regexLiteralPrefix } from './paths.js';

export { checkRoutePath, checkRouteHeaderValue } from './paths.js';

const K_NONE = 0;
const K_PREFIX = 1;
const K_REGEX = 2;
const K_TEMPLATE = 3;

const H_EXACT = 0;
const H_SUFFIX = 1; // *.example.com → ".example.com"
const H_PREFIX = 2; // example.*     → "example."

const P_LIT = 0;
const P_PARAM = 1;
const P_REST = 2;

const EMPTY: Entry[] = [];

// Entry.flags: which constraints besides the method the entry has (0 = none: accept at once).
const F_WS = 1;
const F_HOST = 2;
const F_SNI = 4;
const F_HDR = 8;
const F_PATH = 16; // regex or template: the path itself must be tested

/**
 * Request method bit for methods no route lists (and methods beyond the 30th distinct one, which
 * share it and are told apart by Entry.methodSet). Bit 30, not 31: every mask stays a small int.
 */
const M_OTHER = 1 << 30;

class Entry {
  // --- read on every lookup that reaches the entry, and by the match result: kept first, so
  // they share the object's first cache lines
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
  // constraints
  wsOnly = false;
  /** Methods beyond the 30th distinct one (bit M_OTHER of methodMask), else null. */
  methodSet: Set<string> | null = null;
  hostKinds: Uint8Array | null = null;
  hostValues: string[] = [];
  hostPorts: Int32Array | null = null;
  headerNames: string[] | null = null;
  headerExact: Array<Set<string>> = [];
  headerRegex: Array<RegExp[] | null> = [];
  snis: Set<string> | null = null;
  // priority
  weight = 0;
  plainHostOnly = 0;
  headerCount = 0;
  pathClass = 0;
  regexPriority = 0;
  isTemplate = 0;
  literalSegments = 0;
  greedy = 0;
  segments = 0;
  order = 0;

  constructor(route: Route) {
    this.route = route;
  }
}

function compareEntries(a: Entry, b: Entry): number {
  return (
    b.weight - a.weight ||
    b.plainHostOnly - a.plainHostOnly ||
    b.headerCount - a.headerCount ||
    b.pathClass - a.pathClass ||
    (a.pathClass === 1
      ? b.regexPriority - a.regexPriority ||
        b.isTemplate - a.isTemplate ||
        b.literalSegments - a.literalSegments ||
        a.greedy - b.greedy ||
        b.segments - a.segments
      : 0) ||
    b.prefixLen - a.prefixLen ||
    a.order - b.order ||
    a.pathIdx - b.pathIdx
  );
}

// ------------------------------------------------------------------------------------------
// Radix tree over characters
// ------------------------------------------------------------------------------------------

class Node {
  codes: number[] = [];
  kids: Node[] = [];
  own: Entry[] = [];
  cum: Entry[] = EMPTY;
  constructor(public label: string) {}
}

function insert(root: Node, key: string, e: Entry): void {
  let node = root;
  let i = 0;
  for (;;) {
    if (i === key.length) {
      node.own.push(e);
      return;
    }
    const c = key.charCodeAt(i);
    const k = node.codes.indexOf(c);
    if (k < 0) {
      const leaf = new Node(key.slice(i));
      leaf.own.push(e);
      node.codes.push(c);
      node.kids.push(leaf);
      return;
    }
    const child = node.kids[k]!;
    const label = child.label;
    let j = 1;
    while (j < label.length && i + j < key.length && label.charCodeAt(j) === key.charCodeAt(i + j)) j++;
    if (j < label.length) {
      // split child at j
      const mid = new Node(label.slice(0, j));
      child.label = label.slice(j);
      mid.codes.push(child.label.charCodeAt(0));
      mid.kids.push(child);
      node.kids[k] = mid;
      node = mid;
    } else {
      node = child;
    }
    i += j;
  }
}

function finish(node: Node, parentCum: Entry[]): void {
  if (node.own.length === 0) node.cum = parentCum;
  else {
    const all = parentCum.concat(node.own);
    all.sort((a, b) => a.rank - b.rank);
    node.cum = all;
  }
  for (const k of node.kids) finish(k, node.cum);
}

/**
 * A finished tree flattened into one Int32Array, so a lookup reads contiguous memory instead of
 * chasing Node → kids → Node → label pointers. Each node is a record at offset `n`:
 *   t[n]     label length (the root's is 0)
 *   t[n + 1] offset of the node's `cum` list in `c`
 *   t[n + 2] child dispatch: 0 = leaf; k > 0 = k children as (char code, child offset) pairs;
 *            -s = a table of s child offsets (0 = none) indexed by char code - t[n + 3]
 *   t[n + 3] lowest char code of the table
 *   then the label's characters after the first (the parent's dispatch matched that one), then
 *   the children (pairs or table). Records are laid out depth-first, parents before children.
 *
 * The candidate lists (`cum`) are in a second Int32Array `c`, shared between nodes with the same
 * list: at offset o, c[o] = count, then per entry (rank-sorted) its rank (= index in the
 * router's rank-sorted entries), methodMask and flags: the method filter, which rejects most
 * candidates, and the "nothing else to check" test never touch the Entry object.
 */
class FlatTree {
  constructor(
    readonly t: Int32Array,
    readonly c: Int32Array,
  ) {}
}

/** c[] of a tree without candidates: offset 0, count 0. */
const NO_CANDIDATES: Int32Array = new Int32Array(1);

/** Children dispatched by table when there are at least this many and the code span is small. */
const TABLE_MIN_KIDS = 3;
const TABLE_MAX_SPAN = 96;

function flatten(root: Node): FlatTree {
  const out: number[] = [];
  const c: number[] = [0]; // offset 0: the empty list
  const cumIndex = new Map<Entry[], number>([[EMPTY, 0]]);
  const place = (node: Node): number => {
    const n = out.length;
    const ll = node.label.length;
    let ci = cumIndex.get(node.cum);
    if (ci === undefined) {
      ci = c.length;
      c.push(node.cum.length);
      for (const e of node.cum) c.push(e.rank, e.methodMask, e.flags);
      cumIndex.set(node.cum, ci);
    }
    const nk = node.kids.length;
    let lo = 0;
    let span = 0;
    if (nk >= TABLE_MIN_KIDS) {
      lo = Math.min(...node.codes);
      span = Math.max(...node.codes) - lo + 1;
    }
    const table = nk >= TABLE_MIN_KIDS && span <= TABLE_MAX_SPAN;
    out.push(ll, ci, table ? -span : nk, lo);
    for (let q = 1; q < ll; q++) out.push(node.label.charCodeAt(q));
    const kidsAt = out.length;
    for (let k = 0, size = table ? span : nk * 2; k < size; k++) out.push(0);
    for (let k = 0; k < nk; k++) {
      const off = place(node.kids[k]!);
      const code = node.codes[k]!;
      if (table) out[kidsAt + code - lo] = off;
      else {
        out[kidsAt + 2 * k] = code;
        out[kidsAt + 2 * k + 1] = off;
      }
    }
    return n;
  };
  place(root);
  return new FlatTree(Int32Array.from(out), Int32Array.from(c));
}

/** Offset in `tree.c` of the candidates (rank-sorted) whose tree key is a prefix of `path`. */
function lookup(tree: FlatTree, path: string): number {
  const t = tree.t;
  const len = path.length;
  let n = 0;
  let i = 0;
  outer: while (i < len) {
    const mode = t[n + 2]!;
    if (mode === 0) break;
    const c = path.charCodeAt(i);
    const ll0 = t[n]!;
    let kb = ll0 > 1 ? n + 3 + ll0 : n + 4; // first child slot, after the label characters
    let child = 0;
    if (mode > 0) {
      for (let k = 0; k < mode; k++, kb += 2) {
        if (t[kb] === c) {
          child = t[kb + 1]!;
          break;
        }
      }
    } else {
      const d = c - t[n + 3]!;
      if (d >= 0 && d < -mode) child = t[kb + d]!;
    }
    if (child === 0) break;
    const ll = t[child]!;
    if (ll > 1) {
      if (i + ll > len) break;
      // label character q (q >= 1) is at t[child + 3 + q]
      for (let q = 1; q < ll; q++) if (path.charCodeAt(i + q) !== t[child + 3 + q]) break outer;
    }
    i += ll;
    n = child;
  }
  return t[n + 1]!;
}

// ------------------------------------------------------------------------------------------
// Upstream path (Kong)
// ------------------------------------------------------------------------------------------

function sanitizePostfix(p: string): string {
  if (p === '') return p;
  if (p === '.' || p === '..') return '';
  if (p.charCodeAt(0) === 46) {
    if (p.startsWith('./')) return p.slice(2);
    if (p.startsWith('../')) return p.slice(3);
  }
  return p;
}

/**
 * Kong's upstream URI. `matchedLen` is the length of the request path matched by the route's
 * path, or -1 when the route has no paths.
 */
export function upstreamPathFor(base: string, strip: boolean, v1: boolean, path: string, matchedLen: number): string {
  const baseSlash = base.charCodeAt(base.length - 1) === 47;
  if (!strip) {
    if (baseSlash) return base.length === 1 ? path : base + path.slice(1);
    if (v1) return base + path.slice(1);
    return path === '/' ? base : base + path;
  }
  const postfix = matchedLen < 0 ? path.slice(1) : sanitizePostfix(path.slice(matchedLen));
  if (v1) {
    if (baseSlash && postfix.charCodeAt(0) === 47) return base.slice(0, -1) + postfix;
    return base + postfix;
  }
  if (baseSlash) {
    if (postfix === '') {
      if (base.length === 1) return '/';
      return path.charCodeAt(path.length - 1) === 47 ? base : base.slice(0, -1);
    }
    if (postfix.charCodeAt(0) === 47) return base.slice(0, -1) + postfix;
    return base + postfix;
  }
  if (postfix === '') return path.length > 1 && path.charCodeAt(path.length - 1) === 47 ? base + '/' : base;
  if (postfix.charCodeAt(0) === 47) return base + postfix;
  return base + '/' + postfix;
}

// ------------------------------------------------------------------------------------------
// Match result: params, upstreamPath and strippedPrefix are computed on first read
// ------------------------------------------------------------------------------------------

/**
 * Template parameter positions (start, end pairs) written by `templateScan`. Shared: a scan and
 * the reads of its positions happen in one synchronous call.
 */
let tplPos = new Int32Array(64);

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

/**
 * A RouteMatch that defers the work many callers of a lookup never need, or need once: the
 * params object, the upstream path and the stripped prefix are built on first read and kept.
 * A regex path is exec()ed while matching only when its result can need the captures (named
 * groups, or strip_path); otherwise it is only test()ed.
 */
class Match implements RouteMatch {
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

// ------------------------------------------------------------------------------------------
// Router
// ------------------------------------------------------------------------------------------

function splitHost(host: string, listenerPort: number): { name: string; port: number } {
  let name = host;
  let port = listenerPort;
  const ci = host.lastIndexOf(':');
  if (ci >= 0) {
    const close = host.charCodeAt(0) === 91 ? host.indexOf(']') : -1;
    if (host.charCodeAt(0) !== 91 || ci > close) {
      let p = 0;
      let ok = ci + 1 < host.length;
      for (let i = ci + 1; i < host.length; i++) {
        const d = host.charCodeAt(i) - 48;
        if (d < 0 || d > 9) { ok = false; break; }
        p = p * 10 + d;
      }
      name = host.slice(0, ci);
      if (ok) port = p;
    }
  }
  return { name, port };
}

class CompiledRouter implements Router {
  private readonly routes: Route[];
  private readonly entries: Entry[];
  private readonly exact = new Map<string, FlatTree>();
  private readonly other: FlatTree;
  private readonly hasExact: boolean;
  /** Methods some route lists, and their request bits (parallel arrays; a short scan beats a Map). */
  private readonly methodNames: string[] = [];
  private readonly methodBits: number[] = [];

  constructor(routes: readonly Route[], services: ReadonlyMap<string, Service>) {
    const entries: Entry[] = [];
    let nextBit = 0;
    for (const route of routes) {
      for (const m of route.methods) {
        if (this.methodNames.includes(m)) continue;
        this.methodNames.push(m);
        this.methodBits.push(nextBit < 30 ? 1 << nextBit++ : M_OTHER);
      }
      const paths = route.paths.length > 0 ? route.paths : [null];
      for (let pi = 0; pi < paths.length; pi++) {
        const e = this.compileEntry(route, paths[pi]!, pi, services);
        if (e !== null) entries.push(e);
      }
    }
    entries.sort(compareEntries);
    const routeIndex = new Map<Route, number>();
    const ordered: Route[] = [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      e.rank = i;
      let ri = routeIndex.get(e.route);
      if (ri === undefined) {
        ri = ordered.length;
        routeIndex.set(e.route, ri);
        ordered.push(e.route);
      }
      e.routeIndex = ri;
    }
    this.routes = ordered;
    this.entries = entries;
    const exact = new Map<string, Node>();
    const other = new Node('');
    for (const e of entries) {
      let wildcard = e.hostKinds === null;
      if (e.hostKinds !== null) {
        const seen = new Set<string>();
        for (let h = 0; h < e.hostKinds.length; h++) {
          if (e.hostKinds[h] !== H_EXACT) { wildcard = true; continue; }
          const name = e.hostValues[h]!;
          if (seen.has(name)) continue;
          seen.add(name);
          let root = exact.get(name);
          if (root === undefined) exact.set(name, (root = new Node('')));
          insert(root, e.key, e);
        }
      }
      if (wildcard) insert(other, e.key, e);
    }
    finish(other, EMPTY);
    this.other = flatten(other);
    for (const [name, root] of exact) {
      finish(root, EMPTY);
      this.exact.set(name, flatten(root));
    }
    this.hasExact = this.exact.size > 0;
  }

  private compileEntry(route: Route, path: string | null, pathIdx: number, services: ReadonlyMap<string, Service>): Entry | null {
    const e = new Entry(route);
    e.path = path;
    e.pathIdx = pathIdx;
    e.order = route.order;
    if (path !== null) {
      const kind = pathKind(path);
      if (kind === 'regex') {
        let re: RegExp;
        try {
          re = compileRegexPath(path);
        } catch {
          return null; // invalid (validation rejects it): the path never matches
        }
        e.kind = K_REGEX;
        e.regex = re;
        // `(?:re)|` matches "", and its groups object lists every named group
        const g = new RegExp(re.source + '|').exec('')?.groups;
        e.regexGroups = g === undefined ? [] : Object.keys(g);
        e.regexExec = e.regexGroups.length > 0 || route.strip_path;
        e.key = regexLiteralPrefix(path);
        e.pathClass = 1;
        e.regexPriority = route.regex_priority;
      } else if (kind === 'template') {
        const t = parseTemplate(path);
        if (typeof t === 'string') return null;
        e.kind = K_TEMPLATE;
        e.key = t.prefix;
        e.tplKinds = new Uint8Array(t.parts.map((p) => (p.kind === 'lit' ? P_LIT : p.kind === 'param' ? P_PARAM : P_REST)));
        e.tplTexts = t.parts.map((p) => (p.kind === 'lit' ? p.text : p.name));
        e.tplParams = t.names.length;
        if (e.tplParams * 2 > tplPos.length) tplPos = new Int32Array(e.tplParams * 2);
        e.pathClass = 1;
        e.regexPriority = route.regex_priority;
        e.isTemplate = 1;
        e.literalSegments = t.literalSegments;
        e.greedy = t.greedy ? 1 : 0;
        e.segments = t.segments;
      } else {
        e.kind = K_PREFIX;
        e.key = path;
        e.prefixLen = path.length;
      }
    }
    // constraints
    e.wsOnly = !route.protocols.includes('http') && !route.protocols.includes('https') && route.protocols.length > 0;
    if (route.methods.length > 0) {
      e.methodMask = 0;
      for (const m of route.methods) {
        const bit = this.methodBits[this.methodNames.indexOf(m)]!;
        if (bit === M_OTHER) (e.methodSet ??= new Set()).add(m);
        e.methodMask |= bit;
      }
    }
    if (route.hosts.length > 0) {
      const n = route.hosts.length;
      e.hostKinds = new Uint8Array(n);
      e.hostPorts = new Int32Array(n);
      let plain = 1;
      for (let i = 0; i < n; i++) {
        let h = route.hosts[i]!;
        const { name, port } = splitHost(h, 0);
        h = name;
        e.hostPorts[i] = port;
        if (h.startsWith('*')) {
          e.hostKinds[i] = H_SUFFIX;
          e.hostValues.push(h.slice(1));
          plain = 0;
        } else if (h.endsWith('*')) {
          e.hostKinds[i] = H_PREFIX;
          e.hostValues.push(h.slice(0, -1));
          plain = 0;
        } else {
          e.hostKinds[i] = H_EXACT;
          e.hostValues.push(h);
        }
      }
      e.plainHostOnly = plain;
    }
    const hnames = Object.keys(route.headers).filter((h) => h !== 'host');
    if (hnames.length > 0) {
      e.headerNames = hnames;
      for (const name of hnames) {
        const exact = new Set<string>();
        let regs: RegExp[] | null = null;
        for (const v of route.headers[name]!) {
          if (v.startsWith('~*')) {
            try {
              (regs ??= []).push(new RegExp(v.slice(2), 'i'));
            } catch {
              /* invalid: never matches (validation reports it) */
            }
          } else exact.add(v.toLowerCase());
        }
        e.headerExact.push(exact);
        e.headerRegex.push(regs);
      }
      e.headerCount = hnames.length;
    }
    if (route.snis.length > 0) {
      e.snis = new Set(route.snis.map((s) => (s.length > 1 && s.endsWith('.') ? s.slice(0, -1) : s)));
    }
    e.flags =
      (e.wsOnly ? F_WS : 0) |
      (e.hostKinds !== null ? F_HOST : 0) |
      (e.snis !== null ? F_SNI : 0) |
      (e.headerNames !== null ? F_HDR : 0) |
      (e.kind >= K_REGEX ? F_PATH : 0);
    e.weight =
      (route.methods.length > 0 ? 1 : 0) +
      (route.hosts.length > 0 ? 1 : 0) +
      (e.headerCount > 0 ? 1 : 0) +
      (route.paths.length > 0 ? 1 : 0) +
      (route.snis.length > 0 ? 1 : 0);
    // upstream
    e.strip = route.strip_path;
    e.v1 = route.path_handling === 'v1';
    const svc = route.service === null ? undefined : services.get(route.service);
    e.base = svc !== undefined && svc.path !== null && svc.path !== '' ? svc.path : '/';
    return e;
  }

  ordered(): readonly Route[] {
    return this.routes;
  }

  match(input: MatchInput): RouteMatch | null {
    const path = input.path;
    let hostName = input.host;
    let port = input.port;
    // candidates of the Host's own tree (none unless the host has one)
    let ca: Int32Array = NO_CANDIDATES;
    let ia = 1;
    let ea = 1;
    const hl = hostName.length;
    if (hl > 0) {
      // a trailing ":digits" is the port (IPv6 literals end with "]" unless a port follows)
      let ci = hl - 1;
      let p = 0;
      let mul = 1;
      for (;;) {
        const d = hostName.charCodeAt(ci) - 48;
        if (d < 0 || d > 9 || ci === 0) break;
        p += d * mul;
        mul *= 10;
        ci--;
      }
      if (ci < hl - 1 && hostName.charCodeAt(ci) === 58 /* : */) {
        hostName = hostName.slice(0, ci);
        port = p;
      }
      if (this.hasExact) {
        const root = this.exact.get(hostName);
        if (root !== undefined) {
          ca = root.c;
          ia = lookup(root, path);
          ea = ia + 1 + 3 * ca[ia]!;
          ia++;
        }
      }
    }
    const cb = this.other.c;
    let ib = lookup(this.other, path);
    const eb = ib + 1 + 3 * cb[ib]!;
    ib++;
    const method = input.method;
    const names = this.methodNames;
    let mbit = M_OTHER;
    for (let m = 0; m < names.length; m++) {
      if (names[m] === method) {
        mbit = this.methodBits[m]!;
        break;
      }
    }
    const entries = this.entries;
    for (;;) {
      // merge the two rank-sorted lists: (rank, methodMask, flags) triples
      let c: Int32Array;
      let k: number;
      if (ia < ea) {
        if (ib < eb && cb[ib]! < ca[ia]!) {
          c = cb;
          k = ib;
          ib += 3;
        } else {
          c = ca;
          k = ia;
          ia += 3;
        }
      } else if (ib < eb) {
        c = cb;
        k = ib;
        ib += 3;
      } else return null;
      const mm = c[k + 1]! & mbit;
      if (mm === 0) continue;
      const f = c[k + 2]!;
      const e = entries[c[k]!]!;
      if (mm === M_OTHER && e.methodSet !== null && !e.methodSet.has(method)) continue;
      if (f !== 0) {
        if ((f & F_WS) !== 0 && !input.upgrade) continue;
        if ((f & F_HOST) !== 0 && !this.hostOk(e, hostName, port)) continue;
        if ((f & F_SNI) !== 0 && input.sni !== null && !e.snis!.has(input.sni)) continue;
        if ((f & F_HDR) !== 0 && !this.headersOk(e, input.headers)) continue;
        if ((f & F_PATH) !== 0) {
          if (e.kind === K_TEMPLATE) {
            if (!templateScan(e, path)) continue;
          } else if (e.regexExec) {
            // run once: the captures and matched length go into the result
            const x = e.regex!.exec(path);
            if (x === null) continue;
            return new Match(e, path, x);
          } else if (!e.regex!.test(path)) continue;
        }
      }
      return new Match(e, path, null);
    }
  }

  private hostOk(e: Entry, name: string, port: number): boolean {
    const kinds = e.hostKinds!;
    const values = e.hostValues;
    const ports = e.hostPorts!;
    for (let h = 0; h < kinds.length; h++) {
      const p = ports[h]!;
      if (p !== 0 && p !== port) continue;
      const v = values[h]!;
      const k = kinds[h];
      if (k === H_EXACT) {
        if (name === v) return true;
      } else if (name.length > v.length) {
        if (k === H_SUFFIX ? name.endsWith(v) : name.startsWith(v)) return true;
      }
    }
    return false;
  }

  private headersOk(e: Entry, headers: Record<string, string>): boolean {
    const names = e.headerNames!;
    for (let h = 0; h < names.length; h++) {
      const raw = headers[names[h]!];
      if (raw === undefined) return false;
      const v = raw.toLowerCase();
      if (e.headerExact[h]!.has(v)) continue;
      const regs = e.headerRegex[h];
      if (regs === null || regs === undefined) return false;
      let ok = false;
      for (let r = 0; r < regs.length; r++) if (regs[r]!.test(v)) { ok = true; break; }
      if (!ok) return false;
    }
    return true;
  }

  /** Regex and template paths (prefix paths are matched by the tree walk itself). */
  private pathOk(e: Entry, path: string): boolean {
    return e.kind === K_REGEX ? e.regex!.test(path) : templateScan(e, path);
  }

  // ----------------------------------------------------------------------------------------
  // explain: slow path for the CLI
  // ----------------------------------------------------------------------------------------

  explain(input: MatchInput): { match: RouteMatch | null; steps: ExplainStep[] } {
    const match = this.match(input);
    const { name: hostName, port } = splitHost(input.host, input.port);
    const steps: ExplainStep[] = [];
    const byRoute = new Map<Route, Entry[]>();
    for (const e of this.entries) {
      const l = byRoute.get(e.route);
      if (l === undefined) byRoute.set(e.route, [e]);
      else l.push(e);
    }
    for (const route of this.routes) {
      const es = byRoute.get(route)!;
      const e0 = es[0]!;
      let reason: string | null = null;
      if (e0.wsOnly && !input.upgrade) reason = `route accepts only WebSocket upgrades (protocols [${route.protocols.join(', ')}])`;
      else if (route.methods.length > 0 && !route.methods.includes(input.method))
        reason = `method ${input.method} not in [${route.methods.join(', ')}]`;
      else if (e0.hostKinds !== null && !this.hostOk(e0, hostName, port)) {
        const shown = route.hosts.some((h) => splitHost(h, 0).port !== 0) ? `${hostName}:${port}` : hostName || '(none)';
        reason = `host ${shown} not in [${route.hosts.join(', ')}]`;
      } else if (e0.snis !== null && input.sni !== null && !e0.snis.has(input.sni))
        reason = `sni ${input.sni} not in [${route.snis.join(', ')}]`;
      else if (e0.headerNames !== null && !this.headersOk(e0, input.headers)) {
        for (let h = 0; h < e0.headerNames.length; h++) {
          const name = e0.headerNames[h]!;
          const v = input.headers[name];
          const one: Entry = Object.assign(Object.create(Entry.prototype) as Entry, e0, {
            headerNames: [name],
            headerExact: [e0.headerExact[h]],
            headerRegex: [e0.headerRegex[h]],
          });
          if (!this.headersOk(one, input.headers)) {
            reason = v === undefined ? `header ${name} is missing` : `header ${name}: ${v} not in [${route.headers[name]!.join(', ')}]`;
            break;
          }
        }
      } else if (route.paths.length > 0) {
        const why: string[] = [];
        let pathMatched = false;
        for (const e of es) {
          const p = e.path!;
          if (e.kind === K_PREFIX) {
            if (input.path.startsWith(p)) pathMatched = true;
            else why.push(`path ${p} is not a prefix of ${input.path}`);
          } else if (e.kind === K_REGEX) {
            if (e.regex!.test(input.path)) pathMatched = true;
            else why.push(`regex ${p} does not match ${input.path}`);
          } else if (e.kind === K_TEMPLATE) {
            if (input.path.startsWith(e.key) && this.pathOk(e, input.path)) pathMatched = true;
            else why.push(`template ${p} does not match ${input.path}`);
          }
        }
        for (const p of route.paths) if (!es.some((e) => e.path === p)) why.push(`path ${p} is invalid and never matches`);
        if (!pathMatched) reason = why.join('; ');
      }
      const isMatch = match !== null && match.route === route;
      if (reason === null) reason = isMatch ? `matched${match.matchedPath !== null ? ` path ${match.matchedPath}` : ''}` : 'matches, but a route with higher priority matched first';
      steps.push({ route, matched: isMatch, reason });
    }
    return { match, steps };
  }
}

export const createRouter: RouterFactory = (routes, services) => new CompiledRouter(routes, services);
