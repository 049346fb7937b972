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
