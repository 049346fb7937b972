/**
 * The path sent upstream: Kong's `strip_path` × `path_handling` algorithm (kong/router/utils.lua
 * `get_upstream_uri` for v0, kong/router/traditional.lua for v1), with service.path (or `/`) as
 * the base. Pure; no imports. The router's match result calls it on first read of `upstreamPath`.
 */

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
 * Characters that go upstream as they are (Kong's `escape` in kong/tools/uri.lua): reserved and
 * unreserved characters and `%`. Everything else the normalised path may hold (a space, `"`,
 * non-ASCII, decoded by the router's normalisation) is percent-encoded as UTF-8.
 */
const SAFE = new Uint8Array(128);
for (const c of "!#$&'()*+,/:;=?@[]-_.~%") SAFE[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) SAFE[c] = 1;
for (let c = 65; c <= 90; c++) SAFE[c] = 1;
for (let c = 97; c <= 122; c++) SAFE[c] = 1;

/** Only characters that go upstream as they are (irregexp scans faster than a charCodeAt loop). */
const ALL_SAFE = /^[!#$&'()*+,/:;=?@[\]\w.~%-]*$/;

/** True when `path` goes upstream as it is (nothing to escape). */
export function isSafePath(path: string): boolean {
  return ALL_SAFE.test(path);
}

/** Safe characters plus anything above U+007F: a path the client sent this way goes on as it is. */
const SAFE_AS_SENT = /^[!#$&'()*+,/:;=?@[\]\w.~%\u0080-\uffff-]*$/;

/** True when a path that normalisation left unchanged can go upstream as the client's bytes. */
export function isSafeAsSent(path: string): boolean {
  return SAFE_AS_SENT.test(path);
}

/** The path as it goes upstream: `path` unchanged (no allocation) when nothing needs escaping. */
export function escapePath(path: string): string {
  let i = 0;
  const n = path.length;
  for (; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c >= 128 || SAFE[c] === 0) break;
  }
  if (i === n) return path;
  let out = path.slice(0, i);
  for (; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c < 128) {
      out += SAFE[c] === 1 ? path[i] : '%' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
      continue;
    }
    // a whole code point (surrogate pair) at a time; a lone surrogate becomes U+FFFD
    const cp = path.codePointAt(i)!;
    if (cp > 0xffff) i++;
    out += encodeURIComponent(cp >= 0xd800 && cp <= 0xdfff ? '\uFFFD' : String.fromCodePoint(cp));
  }
  return out;
}
