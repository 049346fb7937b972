/**
 * The compiled router: entries filed in "buckets", looked up per request.
 *
 * Buckets: one per exact host name (the entries that list that host), plus one for entries
 * without hosts or with a wildcard host; each a flattened radix tree (./tree.ts). A request walks
 * at most two trees (its host's bucket and the "other" bucket) and merges the two rank-sorted
 * candidate lists, testing the method mask first, then, only for entries that have them, the
 * constraint strategies (./constraints) and regexes/templates last. A lookup allocates its result
 * object, and only when needed a regex exec() result and the host name of a Host with a port.
 */
import type { Route, Service } from '../config/types.js';
import { exactHostNames, hosts as hostsConstraint, hostsAnyPort, type HostsState } from './constraints/hosts.js';
import { compareEntries, compileEntry, hostGroups, MethodBits } from './compile.js';
import { EMPTY, F_CHECKS, F_PATH, K_TEMPLATE, M_OTHER, type Entry } from './entry.js';
import { explain } from './explain.js';
import { Match } from './match.js';
import { finish, flatten, insert, NO_CANDIDATES, Node, type FlatTree } from './tree.js';
import type { ExplainStep, MatchInput, RouteMatch, Router } from './types.js';

/** Every constraint strategy of the entry accepts the request. */
export class CompiledRouter implements Router {
  private readonly routes: Route[];
  private readonly entries: Entry[];
  private readonly exact = new Map<string, FlatTree>();
  private readonly other: FlatTree;
  private readonly hasExact: boolean;
  private readonly methodBits = new MethodBits();
  /** The method table's arrays, read directly by the lookup. */
  private readonly methodNames: string[];
  private readonly methodMasks: number[];

  constructor(routes: readonly Route[], services: ReadonlyMap<string, Service>) {
    for (const route of routes) for (const m of route.methods) this.methodBits.add(m);
    this.methodNames = this.methodBits.names;
    this.methodMasks = this.methodBits.bits;
    const entries: Entry[] = [];
    for (const route of routes) {
      const paths = route.paths.length > 0 ? route.paths : [null];
      const groups = hostGroups(route.hosts);
      for (let pi = 0; pi < paths.length; pi++) {
        for (const g of groups) {
          const e = compileEntry(route, paths[pi]!, pi, services, this.methodBits, g);
          if (e !== null) entries.push(e);
        }
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
      const hosts = e.byName.get('hosts') as HostsState | undefined;
      if (hosts !== undefined) {
        for (const name of exactHostNames(hosts)) {
          let root = exact.get(name);
          if (root === undefined) exact.set(name, (root = new Node('')));
          insert(root, e.key, e);
        }
      }
      if (hosts === undefined || !hosts.plain) insert(other, e.key, e);
    }
    finish(other, EMPTY);
    this.other = flatten(other);
    for (const [name, root] of exact) {
      finish(root, EMPTY);
      // an entry whose only check is its hosts, one of them this name without a port, is
      // accepted by this tree's key alone
      const flagsOf = (e: Entry): number =>
        e.checks.length === 1 && e.checks[0] === hostsConstraint && hostsAnyPort(e.states[0] as HostsState, name) ? e.flags & ~F_CHECKS : e.flags;
      this.exact.set(name, flatten(root, flagsOf));
    }
    this.hasExact = this.exact.size > 0;
  }

  ordered(): readonly Route[] {
    return this.routes;
  }

  /** Entries in rank order (explain). */
  compiled(): readonly Entry[] {
    return this.entries;
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
          ia = root.find(path);
          ea = ia + 1 + 3 * ca[ia]!;
          ia++;
        }
      }
    }
    const cb = this.other.c;
    let ib = this.other.find(path);
    const eb = ib + 1 + 3 * cb[ib]!;
    ib++;
    const method = input.method;
    const names = this.methodNames;
    let mbit = M_OTHER;
    for (let m = 0; m < names.length; m++) {
      if (names[m] === method) {
        mbit = this.methodMasks[m]!;
        break;
      }
    }
    const entries = this.entries;
    next: for (;;) {
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
      if (mm === M_OTHER && e.methodsState !== null && !(e.methodsState as Set<string>).has(method)) continue;
      if (f !== 0) {
        if ((f & F_CHECKS) !== 0) {
          const checks = e.checks;
          const states = e.states;
          for (let j = 0; j < checks.length; j++) if (!checks[j]!.test(states[j], input, hostName, port)) continue next;
        }
        if ((f & F_PATH) !== 0) {
          if (e.kind === K_TEMPLATE) {
            if (!e.scan(path)) continue;
          } else if (e.regexExec) {
            // run once: the captures and matched length go into the result
            const x = e.regex!.exec(path);
            if (x === null) continue;
            return new Match(e, path, x, input.rawPath === path);
          } else if (!e.regex!.test(path)) continue;
        }
      }
      return new Match(e, path, null, input.rawPath === path);
    }
  }

  explain(input: MatchInput): { match: RouteMatch | null; steps: ExplainStep[] } {
    return explain(this, input);
  }
}
