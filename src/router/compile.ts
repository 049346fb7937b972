/**
 * Compilation: each route becomes one Entry per path (a route without paths gives one entry), with
 * its path compiled, its constraints compiled by the strategies of ./constraints, and the fields
 * of Kong's priority filled in. `compareEntries` is that priority.
 *
 * PRIORITY (what `ordered()` returns and the order in which candidates are tried). Like Kong's
 * traditional_compatible router (kong/router/transform.lua `get_priority`, and the traditional
 * router's `sort_routes`), entries are sorted by, in this order:
 *   1. weight, descending: how many of methods / hosts / headers / paths / snis the route sets
 *      (the constraints with `weighs`, plus paths; sources/destinations are refused on http);
 *   2. "plain hosts only", descending: a route that sets hosts, none of them a wildcard, beats
 *      one with a wildcard host (and one without hosts);
 *   3. number of header names, descending;
 *   4. path class: regex (`~`) and template (`{}`) paths before prefix paths (and path-less);
 *      - regex/template: `regex_priority` descending; then, beyond Kong, templates before
 *        regexes (a template matches the whole path with a fixed shape, a regex only the start);
 *        among templates: more literal segments first, then `{x}` before a trailing `{x+}`,
 *        then more segments first;
 *      - prefix: longer prefix first (Kong `max_uri_length`);
 *   5. a host written with its port (`example.*:8000`) before one without, when that is what
 *      matched: a route with both kinds of hosts gives one entry for each kind. (Kong's
 *      traditional router ranks the port-specific host higher; its traditional_compatible tests
 *      expect the same answers. Without this, a port-specific route written after an any-port
 *      one for the same name could never match.)
 *   6. file order (`route.order`), then the position of the path in `route.paths`. (Kong breaks
 *      these ties by route id: a deliberate difference, file order is predictable.)
 */
import type { Route, Service } from '../config/types.js';
import { escapePath, isSafePath } from './upstream-path.js';
import { CONSTRAINTS } from './constraints/index.js';
import { hosts as hostsConstraint, splitHost } from './constraints/hosts.js';
import { methods as methodsConstraint } from './constraints/methods.js';
import { Entry, F_CHECKS, F_PATH, K_PREFIX, K_REGEX, K_TEMPLATE, M_OTHER, P_LIT, P_PARAM, P_REST, reserveTemplateParams } from './entry.js';
import { compileRegexPath, parseTemplate, pathKind, regexLiteralPrefix } from './paths.js';

export function compareEntries(a: Entry, b: Entry): number {
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
    b.portSpecific - a.portSpecific ||
    a.order - b.order ||
    a.pathIdx - b.pathIdx
  );
}

/**
 * Methods some route lists and their request bits: the first 30 distinct methods get a bit each,
 * the rest share M_OTHER (and are told apart by the methods constraint).
 */
export class MethodBits {
  readonly names: string[] = [];
  readonly bits: number[] = [];
  private next = 0;

  add(method: string): void {
    if (this.names.includes(method)) return;
    this.names.push(method);
    this.bits.push(this.next < 30 ? 1 << this.next++ : M_OTHER);
  }

  /** The request bit of a method (M_OTHER for methods no route lists). */
  bit(method: string): number {
    const names = this.names;
    for (let m = 0; m < names.length; m++) if (names[m] === method) return this.bits[m]!;
    return M_OTHER;
  }
}

/**
 * A route's hosts as the entries compile them (priority rule 5): `null` = all of the route's
 * hosts in one entry; otherwise the hosts written with a port, then those without.
 */
export interface HostGroup {
  hosts: readonly string[] | null;
  portSpecific: number;
}

const ALL_HOSTS: HostGroup[] = [{ hosts: null, portSpecific: 0 }];
const ALL_HOSTS_PORT: HostGroup[] = [{ hosts: null, portSpecific: 1 }];

export function hostGroups(hosts: readonly string[]): HostGroup[] {
  const withPort = hosts.filter((h) => splitHost(h, 0).port !== 0);
  if (withPort.length === 0) return ALL_HOSTS;
  if (withPort.length === hosts.length) return ALL_HOSTS_PORT;
  return [{ hosts: withPort, portSpecific: 1 }, { hosts: hosts.filter((h) => !withPort.includes(h)), portSpecific: 0 }];
}

/**
 * Compiles one (route, path) pair, with the route's hosts or the `group` of them; null when the
 * path is invalid (validation reports it).
 */
export function compileEntry(
  route: Route,
  path: string | null,
  pathIdx: number,
  services: ReadonlyMap<string, Service>,
  methodBits: MethodBits,
  group: HostGroup = ALL_HOSTS[0]!,
): Entry | null {
  const e = new Entry(route);
  e.portSpecific = group.portSpecific;
  e.path = path;
  e.pathIdx = pathIdx;
  e.order = route.order;
  if (path !== null && !compilePath(e, route, path)) return null;
  // constraints
  let weight = route.paths.length > 0 ? 1 : 0;
  for (const c of CONSTRAINTS) {
    const state = c.compile(c === hostsConstraint && group.hosts !== null ? { ...route, hosts: [...group.hosts] } : route);
    if (state === null) continue;
    e.byName.set(c.name, state);
    if (c.weighs) weight++;
    c.prioritize?.(state, e);
    if (c === methodsConstraint) e.methodsState = state;
    else {
      e.checks.push(c);
      e.states.push(state);
    }
  }
  e.weight = weight;
  // Kong's rule 2 looks at all of the route's hosts, whichever group this entry has
  if (group.hosts !== null) e.plainHostOnly = route.hosts.every((h) => !h.includes('*')) ? 1 : 0;
  if (route.methods.length > 0) {
    e.methodMask = 0;
    for (const m of route.methods) e.methodMask |= methodBits.bit(m);
    // the mask tells methods apart unless one of them shares M_OTHER
    if ((e.methodMask & M_OTHER) === 0) e.methodsState = null;
  }
  e.flags = (e.checks.length > 0 ? F_CHECKS : 0) | (e.kind >= K_REGEX ? F_PATH : 0);
  // upstream
  e.strip = route.strip_path;
  e.v1 = route.path_handling === 'v1';
  const svc = route.service === null ? undefined : services.get(route.service);
  e.base = svc !== undefined && svc.path !== null && svc.path !== '' ? svc.path : '/';
  e.baseSafe = isSafePath(e.base);
  e.pathEscaped = path === null ? null : escapePath(path);
  return e;
}

function compilePath(e: Entry, route: Route, path: string): boolean {
  const kind = pathKind(path);
  if (kind === 'regex') {
    let re: RegExp;
    try {
      re = compileRegexPath(path);
    } catch {
      return false; // invalid (validation rejects it): the path never matches
    }
    e.kind = K_REGEX;
    e.regex = re;
    // `(?:re)|` matches "", and its groups object lists every named group
    const g = new RegExp(re.source + '|', re.flags).exec('')?.groups;
    e.regexGroups = g === undefined ? [] : Object.keys(g);
    e.regexExec = e.regexGroups.length > 0 || route.strip_path;
    e.key = regexLiteralPrefix(path);
    e.pathClass = 1;
    e.regexPriority = route.regex_priority;
  } else if (kind === 'template') {
    const t = parseTemplate(path);
    if (typeof t === 'string') return false;
    e.kind = K_TEMPLATE;
    e.key = t.prefix;
    e.tplKinds = new Uint8Array(t.parts.map((p) => (p.kind === 'lit' ? P_LIT : p.kind === 'param' ? P_PARAM : P_REST)));
    e.tplTexts = t.parts.map((p) => (p.kind === 'lit' ? p.text : p.name));
    e.tplParams = t.names.length;
    reserveTemplateParams(e.tplParams);
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
  return true;
}
