/**
 * Request-path normalization before routing (RFC 3986 §6.2.2 and §5.2.4), so that a request
 * cannot escape a route's prefix with dot segments, percent-encoded dots, or encoded slashes.
 *
 * - percent-encoded unreserved characters are decoded (`%2e` → `.`, `%7E` → `~`), other
 *   percent-encodings are kept with upper-case hex;
 * - `.` and `..` segments are removed;
 * - a dot segment glued to an encoded slash or backslash (`..%2f`, `%2F..`, `.%5c`) is refused
 *   (null), since an upstream that decodes it would see a traversal the router did not.
 *
 * Returns the normalized path, or null when the path must be answered with 400.
 * The fast path (no `%`, no `/.`, starts with `/`) returns the input unchanged, allocating nothing.
 */
export function normalizePath(raw: string): string | null {
  if (raw.length === 0 || raw.charCodeAt(0) !== 47 /* / */) return null;
  if (raw.indexOf('%') === -1 && raw.indexOf('/.') === -1) return raw;
  let s = raw;
  if (s.indexOf('%') !== -1) {
    s = decodeUnreserved(s);
    if (s === '') return null;
    if (hasEncodedSlashDotSegment(s)) return null;
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

function isUnreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

/** Decodes %XX of unreserved characters; upper-cases the rest. '' on a malformed escape. */
function decodeUnreserved(s: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) !== 37) continue;
    if (i + 2 >= s.length) return '';
    const h = hexVal(s.charCodeAt(i + 1));
    const l = hexVal(s.charCodeAt(i + 2));
    if (h < 0 || l < 0) return '';
    const code = h * 16 + l;
    if (code === 0) return ''; // %00: refused (400), as nginx does
    out += s.slice(last, i);
    out += isUnreserved(code) ? String.fromCharCode(code) : '%' + HEX[h] + HEX[l];
    last = i + 3;
    i += 2;
  }
  return last === 0 ? s : out + s.slice(last);
}

/** True when a `.`/`..` segment touches an encoded `/` (%2F) or `\` (%5C). */
function hasEncodedSlashDotSegment(s: string): boolean {
  const u = s.toUpperCase();
  if (u.indexOf('%2F') === -1 && u.indexOf('%5C') === -1) return false;
  // Split on real and encoded separators and look for dot segments next to an encoded one.
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

/** RFC 3986 §5.2.4 for an absolute path. */
export function removeDotSegments(path: string): string {
  if (path.indexOf('/.') === -1) return path;
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
    } else {
      out.push(seg);
    }
  }
  return '/' + out.join('/');
}
