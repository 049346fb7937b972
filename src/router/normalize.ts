/**
 * The request path the router matches on, normalised as Kong does (kong/tools/uri.lua
 * `normalize(uri, true)`, called by the router on every request):
 *
 * - percent-escapes are decoded, except those of reserved characters (`!*'();:@&=+$,/?%#[]`),
 *   which are kept with upper-case hex: `/users/%6aohn%20doe` → `/users/john doe`,
 *   `/caf%C3%A9` → `/café`, `/a%2Fb` stays `/a%2Fb`;
 * - escaped bytes that do not form valid UTF-8 are refused (null → 400; Kong's router errors);
 * - `//` is merged into `/`;
 * - `.` and `..` segments are removed (RFC 3986 §5.2.4), `%2E` counting as `.`.
 *
 * Beyond Kong, for safety (the decoded path is also what plugins and logs see):
 * - `%00` is refused (null → 400, as nginx does); escapes of other control characters
 *   (`%01`-`%1F`, `%7F`) are kept, like reserved ones;
 * - a malformed escape (`%zz`, a trailing `%`) is refused, as nginx refuses it;
 * - a dot segment glued to an encoded slash or backslash (`..%2F`, `%5C..`) is refused, since an
 *   upstream that decodes it would see a traversal the router did not;
 * - a path that does not start with `/` is refused.
 *
 * What goes upstream is this path (or the part strip_path leaves of it), re-escaped as Kong does:
 * see `escapePath` in src/router/upstream-path.ts.
 *
 * Same signature as src/proxy/path.ts `normalizePath`. The fast path (no `%`, no `/.`, no `//`)
 * returns the input unchanged, allocating nothing.
 */
export function normalizePath(raw: string): string | null {
  if (raw.length === 0 || raw.charCodeAt(0) !== 47 /* / */) return null;
  const pct = raw.indexOf('%') !== -1;
  if (!pct && raw.indexOf('/.') === -1 && raw.indexOf('//') === -1) return raw;
  let s = raw;
  if (pct) {
    if (hasEncodedSlashDotSegment(s)) return null;
    const d = decode(s);
    if (d === null) return null;
    s = d;
  }
  return removeDotSegments(s);
}

const HEX = '0123456789ABCDEF';

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Bytes whose escapes are kept: reserved characters (Kong) and control characters (Sluice). */
const KEEP = new Uint8Array(128);
for (const c of "!*'();:@&=+$,/?%#[]") KEEP[c.charCodeAt(0)] = 1;
for (let c = 0; c < 32; c++) KEEP[c] = 1;
KEEP[127] = 1;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes escapes but those in KEEP (upper-cased). Null on a malformed escape or bad UTF-8. */
function decode(s: string): string | null {
  let out = '';
  let last = 0;
  let bytes: number[] | null = null; // a run of escaped bytes >= 0x80, decoded together
  const flush = (): boolean => {
    if (bytes === null) return true;
    let text: string;
    try {
      text = utf8.decode(Uint8Array.from(bytes));
    } catch {
      return false;
    }
    out += text;
    bytes = null;
    return true;
  };
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) !== 37) continue;
    if (i + 2 >= s.length) return null;
    const h = hexVal(s.charCodeAt(i + 1));
    const l = hexVal(s.charCodeAt(i + 2));
    if (h < 0 || l < 0) return null;
    const code = h * 16 + l;
    if (code === 0) return null; // %00: refused (400), as nginx does
    if (i > last) {
      if (!flush()) return null;
      out += s.slice(last, i);
    }
    if (code >= 128) (bytes ??= []).push(code);
    else {
      if (!flush()) return null;
      out += KEEP[code] === 1 ? '%' + HEX[h] + HEX[l] : String.fromCharCode(code);
    }
    last = i + 3;
    i += 2;
  }
  if (!flush()) return null;
  return out + s.slice(last);
}

/** True when a `.`/`..` segment touches an encoded `/` (%2F) or `\` (%5C). */
function hasEncodedSlashDotSegment(s: string): boolean {
  const u = s.toUpperCase().replace(/%2E/g, '.');
  if (u.indexOf('%2F') === -1 && u.indexOf('%5C') === -1) return false;
  const parts = u.split(/(\/|%2F|%5C)/);
  for (let i = 0; i < parts.length; i += 2) {
    const seg = parts[i];
    if (seg !== '.' && seg !== '..') continue;
    const before = i > 0 ? parts[i - 1] : '/';
    const after = i + 1 < parts.length ? parts[i + 1] : '/';
    if (before !== '/' || after !== '/') return true;
  }
  return false;
}

/** RFC 3986 §5.2.4 for an absolute path, with `//` merged (Kong's merge_slashes). */
export function removeDotSegments(path: string): string {
  if (path.indexOf('/.') === -1 && path.indexOf('//') === -1) return path;
  const segs = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segs.length; i++) {
    const seg = segs[i]!;
    const isLast = i === segs.length - 1;
    if (seg === '.') {
      if (isLast) out.push('');
    } else if (seg === '..') {
      if (out.length > 0) out.pop();
      if (isLast) out.push('');
    } else if (seg === '') {
      if (isLast) out.push(''); // "//" merged; a trailing "/" kept
    } else {
      out.push(seg);
    }
  }
  return '/' + out.join('/');
}
