import type { RouteEntity } from './entities.js';
import { formatPath, warn, type Issue } from './issues.js';

/**
 * Route methods a request can never arrive with. Pure: the uWebSockets.js build is a parameter
 * (callers pass the one this process loads, src/uws/load.ts), so the rule is testable for every
 * build on any runtime. Measured with raw sockets on a bare uWS app (README "Known limitations"):
 *
 *   - uWS 20.30's router knows a fixed list of methods (below) and closes the connection, with
 *     no answer, on any other (PURGE, PROPFIND, LINK...): Sluice never sees such a request;
 *   - uWS 20.57 hands Sluice every method.
 *
 * CONNECT and TRACE are refused by Sluice itself (405, src/proxy/method.ts), on every build.
 */

/** What uWS 20.30 routes to an `any` handler (upper case only; `get` is closed too). */
export const UWS_2030_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** The newest build measured to close unknown methods; 20.57 serves them all. */
const FIXED_LIST_BEFORE = [20, 57] as const;

/** Does this uWS build (`20.30.0`) hand Sluice a request with this method (upper case)? */
export function uwsDeliversMethod(uwsVersion: string, method: string): boolean {
  const [major = 0, minor = 0] = uwsVersion.split('.').map(Number);
  const fixedList = major < FIXED_LIST_BEFORE[0] || (major === FIXED_LIST_BEFORE[0] && minor < FIXED_LIST_BEFORE[1]);
  return !fixedList || UWS_2030_METHODS.has(method);
}

/**
 * Warnings for `routes[].methods` entries no request will match. `uws`: the uWS version that
 * will serve (e.g. `20.30.0`), null when no build loads here, undefined to skip the build check.
 */
export function checkRouteMethods(routes: readonly RouteEntity[], uws: string | null | undefined): Issue[] {
  const out: Issue[] = [];
  for (const r of routes) {
    const methods = r.obj.methods;
    if (!Array.isArray(methods)) continue;
    methods.forEach((v: unknown, i) => {
      if (typeof v !== 'string') return;
      const m = v.toUpperCase();
      const path = [...r.path, 'methods', i];
      const at = `${formatPath(path)} ${m}`;
      if (m === 'CONNECT') {
        out.push(warn(path, `${at}: Sluice answers every CONNECT request with 405 (it opens no tunnels, as Kong's nginx), so no request matches this method`));
      } else if (m === 'TRACE') {
        out.push(warn(path, `${at}: Sluice answers every TRACE request with 405, as Kong's nginx does (cross-site tracing), so no request matches this method`));
      } else if (uws === null && !UWS_2030_METHODS.has(m)) {
        out.push(warn(path, `${at}: uWebSockets.js 20.30 (Node 20 on glibc < 2.38) closes the connection for this method before Sluice sees the request, and no uWebSockets.js build loads here to tell which one will serve; uWS 20.57 (Node 22/24 on glibc >= 2.38) serves it`));
      } else if (uws !== undefined && uws !== null && !uwsDeliversMethod(uws, m)) {
        out.push(warn(path, `${at}: uWebSockets.js ${uws} (this build) closes the connection for this method before Sluice sees the request, so such requests get no answer; run Node 22/24 on glibc >= 2.38 (uWS 20.57) to serve it (README "Known limitations")`));
      }
    });
  }
  return out;
}
