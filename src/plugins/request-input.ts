/**
 * A cheap read of one query parameter, for plugins on the hot path that need a single value: no
 * URLSearchParams object. It gives exactly what URLSearchParams gives. (One request header: the
 * context's own `header(name)`.)
 */

/** String.prototype.isWellFormed (ES2024, in Node 20; the project's lib is ES2023). */
type WellFormed = string & { isWellFormed(): boolean };

/**
 * `new URLSearchParams(query).get(name)`. The common case (nothing to decode: no `%` or `+`, no
 * leading `?`, well-formed UTF-16) is a few native string searches; anything else goes to
 * URLSearchParams, so the WHATWG decoding rules hold in every case.
 */
export function queryParam(query: string, name: string): string | null {
  const len = query.length;
  if (len === 0) return null;
  if (
    query.charCodeAt(0) === 63 /* ? */ ||
    query.indexOf('%') >= 0 ||
    query.indexOf('+') >= 0 ||
    !(query as WellFormed).isWellFormed() ||
    name.length === 0 ||
    name.indexOf('=') >= 0 ||
    name.indexOf('&') >= 0
  ) {
    return new URLSearchParams(query).get(name);
  }
  // The first `name` that starts a segment (at 0 or after '&') and is followed by '=', '&' or the end.
  const nl = name.length;
  for (let at = query.indexOf(name); at >= 0; at = query.indexOf(name, at + 1)) {
    if (at !== 0 && query.charCodeAt(at - 1) !== 38 /* & */) continue;
    const after = at + nl;
    if (after === len) return '';
    const c = query.charCodeAt(after);
    if (c === 38 /* & */) return '';
    if (c !== 61 /* = */) continue;
    const end = query.indexOf('&', after);
    return query.slice(after + 1, end < 0 ? len : end);
  }
  return null;
}
