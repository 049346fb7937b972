/**
 * Route path syntax: classification, validation and compilation of the three path kinds of
 * SPEC §3 "Routes". Used at build time only (config validation and router construction).
 *
 * - prefix:   any string starting with `/` that contains neither `{` nor `}`. Plain string
 *             prefix, as Kong (`/foo` matches `/foobar`).
 * - regex:    `~` followed by a JavaScript regular expression, anchored at the start of the path
 *             (as Kong). Named groups (`(?<id>\d+)`, or PCRE/Rust `(?P<id>...)`) become params.
 *             Rejected when it does not compile or is unsafe (see `regexSafetyProblem`).
 * - template: a path starting with `/` containing `{`. Every segment that contains a brace
 *             must be exactly `{name}` (one non-empty segment) or, in the last segment only,
 *             `{name+}` (the non-empty rest of the path, slashes included). Names match
 *             `[A-Za-z_][A-Za-z0-9_-]*` and are unique. Segments that mix braces with other
 *             characters (`/v{n}`, `/{id}.json`) are NOT supported: they are rejected, so a
 *             user never gets a silent surprise. A template matches the whole path.
 */

export type PathKind = 'prefix' | 'regex' | 'template';

export function pathKind(path: string): PathKind {
  if (path.charCodeAt(0) === 126 /* ~ */) return 'regex';
  // A template has at least one segment that is wholly `{...}`. Other braces are literal prefix
  // characters, as in Kong 3.0 (`/files/[a-f0-9-]{36}$` without `~` is a plain prefix there).
  return TEMPLATE_SEGMENT.test(path) ? 'template' : 'prefix';
}

const TEMPLATE_SEGMENT = /\/\{[^/{}]*\}(?:\/|$)/;

/** One piece of a template after its literal prefix. */
export type TemplatePart =
  | { kind: 'lit'; text: string }
  | { kind: 'param'; name: string }
  | { kind: 'rest'; name: string };

export interface CompiledTemplate {
  /** Literal text before the first parameter segment; always ends with `/`. */
  prefix: string;
  /** Parts after the prefix, separated by `/` in the path. Consecutive literals are merged. */
  parts: TemplatePart[];
  /** Number of literal (non-parameter) segments, for priority. */
  literalSegments: number;
  /** Total number of segments. */
  segments: number;
  /** True when the last part is `{name+}`. */
  greedy: boolean;
  names: string[];
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Parses a template path; returns an error message instead when it is malformed. */
export function parseTemplate(path: string): CompiledTemplate | string {
  if (path.charCodeAt(0) !== 47) return `template path "${path}" must start with /`;
  const segs = path.slice(1).split('/');
  const names: string[] = [];
  const raw: Array<{ kind: 'lit' | 'param' | 'rest'; text: string }> = [];
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const open = s.indexOf('{');
    const close = s.indexOf('}');
    if (open < 0 && close < 0) {
      raw.push({ kind: 'lit', text: s });
      continue;
    }
    if (open !== 0 || close !== s.length - 1 || s.indexOf('{', 1) >= 0 || s.indexOf('}') !== close) {
      return `template segment "${s}" in "${path}" must be exactly {name} or {name+} (braces mixed with other characters are not supported)`;
    }
    let name = s.slice(1, -1);
    let kind: 'param' | 'rest' = 'param';
    if (name.endsWith('+')) {
      kind = 'rest';
      name = name.slice(0, -1);
      if (i !== segs.length - 1) return `greedy parameter {${name}+} in "${path}" must be the last segment`;
    }
    if (name === '') return `empty parameter name {} in "${path}"`;
    if (!NAME_RE.test(name)) return `invalid parameter name "{${name}}" in "${path}" (use letters, digits, _ and -, not starting with a digit)`;
    if (names.includes(name)) return `duplicate parameter name {${name}} in "${path}"`;
    names.push(name);
    raw.push({ kind, text: name });
  }
  // Literal prefix: the literal segments before the first parameter, with their trailing slash.
  let k = 0;
  let prefix = '/';
  while (k < raw.length && raw[k]!.kind === 'lit') {
    prefix += raw[k]!.text + '/';
    k++;
  }
  const parts: TemplatePart[] = [];
  let literalSegments = k;
  for (; k < raw.length; k++) {
    const r = raw[k]!;
    if (r.kind === 'lit') {
      literalSegments++;
      const last = parts[parts.length - 1];
      if (last !== undefined && last.kind === 'lit') last.text += '/' + r.text;
      else parts.push({ kind: 'lit', text: r.text });
    } else if (r.kind === 'param') parts.push({ kind: 'param', name: r.text });
    else parts.push({ kind: 'rest', name: r.text });
  }
  const last = parts[parts.length - 1];
  return { prefix, parts, literalSegments, segments: raw.length, greedy: last !== undefined && last.kind === 'rest', names };
}

/** A leading PCRE/Rust inline flag group that JavaScript has as a regex flag: `~(?i)/foo`. */
const LEADING_I = '(?i)';

/**
 * Turns the regex text of a `~` path into JavaScript syntax: `(?P<n>` → `(?<n>`, and a leading
 * `(?i)` (Kong users write it: PCRE in Kong 2, Rust's regex in Kong 3) is dropped here and becomes
 * the `i` flag (`regexFlags`).
 */
export function regexSource(path: string): string {
  const src = path.slice(1).replace(/\(\?P</g, '(?<');
  return src.startsWith(LEADING_I) ? src.slice(LEADING_I.length) : src;
}

/** JavaScript flags of a `~` path: 'i' for a leading `(?i)`, else ''. */
export function regexFlags(path: string): string {
  return path.startsWith(LEADING_I, 1) ? 'i' : '';
}

/** Compiles a `~` path, anchored at the start. Throws on a syntax error. */
export function compileRegexPath(path: string): RegExp {
  return new RegExp('^(?:' + regexSource(path) + ')', regexFlags(path));
}

/**
 * Inline flag groups other than a leading `(?i)` (`(?s)`, `(?-i)`, `(?i:...)`, `(?i)` later in
 * the pattern): JavaScript has none of them. Null when there are none, else what to write instead.
 */
export function inlineFlagProblem(path: string): string | null {
  const src = path.slice(1);
  const re = /\(\?([a-zA-Z-]+)(:|\))/g;
  for (let m = re.exec(src); m !== null; m = re.exec(src)) {
    if (m.index > 0 && src[m.index - 1] === '\\') continue; // an escaped "("
    if (m.index === 0 && m[0] === LEADING_I) continue;
    if (m[2] === ':' && m[1] === 'P') continue;
    const flags = m[1]!;
    const hint =
      flags === 'i'
        ? m[2] === ')'
          ? 'write (?i) at the very start of the path (~(?i)/foo makes the whole path case-insensitive), or spell the cases out ([Ff]oo)'
          : 'make the whole path case-insensitive with a leading (?i) (~(?i)/foo), or spell the cases out ([Ff]oo)'
        : flags.includes('s')
          ? 'use [\\s\\S] where . should also match a newline'
          : flags.includes('x')
            ? 'remove the whitespace and comments from the pattern'
            : 'only a leading (?i) is supported';
    return `inline flags "${m[0]}" are not supported in regex paths: ${hint}`;
  }
  return null;
}

/**
 * Literal text every match of the regex must start with (used to file the regex in the radix
 * tree so it is only run for paths that can match). Conservative: stops at the first
 * metacharacter; empty when the pattern has a top-level alternation.
 */
export function regexLiteralPrefix(path: string): string {
  if (regexFlags(path) !== '') return ''; // case-insensitive: no literal the tree could compare
  const src = regexSource(path);
  // Top-level `|` anywhere means any alternative may match: no common prefix.
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') { i++; continue; }
    if (inClass) { if (c === ']') inClass = false; continue; }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return '';
  }
  let out = '';
  let i = src.charCodeAt(0) === 94 /* ^ */ ? 1 : 0;
  while (i < src.length) {
    const c = src[i]!;
    let lit: string | null = null;
    let next = i + 1;
    if (c === '\\') {
      const e = src[i + 1];
      if (e !== undefined && /[/.\-\\$^*+?()[\]{}|~]/.test(e)) { lit = e; next = i + 2; }
    } else if (!/[.^$|?*+()[\]{}]/.test(c)) {
      lit = c;
    }
    if (lit === null) break;
    const q = src[next];
    if (q === '?' || q === '*' || q === '+' || q === '{') break; // last char is optional/repeated
    out += lit;
    i = next;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Regex safety: reject patterns that can backtrack catastrophically.
//
// A small recursive-descent walk over the pattern computes, per group, whether it contains a
// repeated item. Rejected:
//   1. star height > 1: a repeated group (`*`, `+`, `{n,}`, `{n,m}` with m > 1) that contains a
//      repeated item: `(a+)+`, `(a*)*`, `(?:\d+/)+`, `(a{1,9})*` (same rule as safe-regex);
//   2. a repeated group with alternatives that can start with the same character: `(a|a)*`,
//      `(\w|\d)+`, `(a|ab)*`. Overlap is decided by running each alternative's first atom
//      against a sample of characters — conservative, may reject a few harmless patterns.
// Back-references are rejected outright (they defeat any simple analysis).
// ---------------------------------------------------------------------------------------------

interface GroupInfo {
  /** Contains a repeated item somewhere inside. */
  repeats: boolean;
  /** First atom source of each top-level alternative ('' when unknown/empty). */
  firstAtoms: string[];
}

const SAMPLE_CHARS: string[] = (() => {
  const a: string[] = [];
  for (let c = 32; c < 127; c++) a.push(String.fromCharCode(c));
  a.push('\t', '\n', 'é', 'ß', '€', '\u00a0');
  return a;
})();

function atomsOverlap(a: string, b: string): boolean {
  if (a === '' || b === '') return true; // unknown or empty alternative: assume the worst
  if (a === b) return true;
  let ra: RegExp;
  let rb: RegExp;
  try {
    ra = new RegExp('^(?:' + a + ')$');
    rb = new RegExp('^(?:' + b + ')$');
  } catch {
    return true;
  }
  for (const ch of SAMPLE_CHARS) if (ra.test(ch) && rb.test(ch)) return true;
  return false;
}

class RegexScanner {
  i = 0;
  problem: string | null = null;
  constructor(readonly s: string) {}

  /** Parses alternatives until `)` or end. */
  parseAlternation(): GroupInfo {
    const info: GroupInfo = { repeats: false, firstAtoms: [] };
    let first: string | null = null;
    for (;;) {
      if (this.i >= this.s.length || this.s[this.i] === ')') {
        info.firstAtoms.push(first ?? '');
        return info;
      }
      if (this.s[this.i] === '|') {
        info.firstAtoms.push(first ?? '');
        first = null;
        this.i++;
        continue;
      }
      const start = this.i;
      const atom = this.parseAtom();
      if (this.problem !== null) return info;
      const atomSrc = this.s.slice(start, this.i);
      const rep = this.parseQuantifier();
      if (first === null) first = atom.isGroup ? (atom.inner.firstAtoms.length === 1 ? atom.inner.firstAtoms[0]! : '') : atomSrc;
      if (atom.isGroup && atom.inner.repeats) info.repeats = true;
      if (rep) {
        info.repeats = true;
        if (atom.isGroup) {
          if (atom.inner.repeats) {
            this.problem = `nested quantifier (star height > 1) in ${this.s.slice(start, this.i)}`;
            return info;
          }
          const fa = atom.inner.firstAtoms;
          for (let x = 0; x < fa.length; x++)
            for (let y = x + 1; y < fa.length; y++)
              if (atomsOverlap(fa[x]!, fa[y]!)) {
                this.problem = `repeated alternation with overlapping alternatives in ${this.s.slice(start, this.i)}`;
                return info;
              }
        }
      }
    }
  }

  parseAtom(): { isGroup: false } | { isGroup: true; inner: GroupInfo } {
    const s = this.s;
    const c = s[this.i]!;
    if (c === '(') {
      this.i++;
      if (s[this.i] === '?') {
        const n = s[this.i + 1];
        if (n === ':' || n === '=' || n === '!') this.i += 2;
        else if (n === '<' && (s[this.i + 2] === '=' || s[this.i + 2] === '!')) this.i += 3;
        else if (n === '<') {
          const end = s.indexOf('>', this.i);
          this.i = end < 0 ? s.length : end + 1;
        }
      }
      const inner = this.parseAlternation();
      if (s[this.i] === ')') this.i++;
      return { isGroup: true, inner };
    }
    if (c === '[') {
      this.i++;
      if (s[this.i] === '^') this.i++;
      if (s[this.i] === ']') this.i++;
      while (this.i < s.length && s[this.i] !== ']') this.i += s[this.i] === '\\' ? 2 : 1;
      this.i++;
      return { isGroup: false };
    }
    if (c === '\\') {
      const e = s[this.i + 1];
      if (e !== undefined && /[1-9]/.test(e)) this.problem = 'back-references are not allowed';
      else if (e === 'k' && s[this.i + 2] === '<') this.problem = 'back-references are not allowed';
      this.i += 2;
      return { isGroup: false };
    }
    this.i++;
    return { isGroup: false };
  }

  /** Consumes a quantifier if any; returns true when it can repeat the atom more than once. */
  parseQuantifier(): boolean {
    const s = this.s;
    const c = s[this.i];
    let rep = false;
    if (c === '*' || c === '+') { this.i++; rep = true; }
    else if (c === '?') { this.i++; }
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(this.i));
      if (m === null) return false;
      this.i += m[0].length;
      if (m[2] === undefined) rep = Number(m[1]) > 1;
      else rep = m[3] === '' || Number(m[3]) > 1;
    } else return false;
    if (s[this.i] === '?') this.i++; // lazy
    return rep;
  }
}

/** Null when the regex (JavaScript syntax, without `~`) is safe, else why it is not. */
export function regexSafetyProblem(source: string): string | null {
  const sc = new RegexScanner(source);
  sc.parseAlternation();
  while (sc.problem === null && sc.i < source.length) {
    // stray `)` (cannot happen for a pattern that compiled); skip it and go on
    sc.i++;
    sc.parseAlternation();
  }
  return sc.problem;
}

/**
 * Validates one entry of `route.paths`. Returns a human-readable error message, or null when
 * the path is acceptable (then `createRouter` will not throw on it).
 */
export function checkRoutePath(path: string): string | null {
  if (typeof path !== 'string' || path.length === 0) return 'path must be a non-empty string';
  const kind = pathKind(path);
  if (kind === 'regex') {
    if (path.length === 1) return 'regex path "~" is empty';
    const flags = inlineFlagProblem(path);
    if (flags !== null) return `regex path "${path}": ${flags}`;
    try {
      compileRegexPath(path);
    } catch (e) {
      return `regex path "${path}" does not compile: ${(e as Error).message}`;
    }
    const problem = regexSafetyProblem(regexSource(path));
    if (problem !== null) return `regex path "${path}" is unsafe (catastrophic backtracking): ${problem}`;
    return null;
  }
  if (path.charCodeAt(0) !== 47) return `path "${path}" must start with / (or ~ for a regex)`;
  if (kind === 'template') {
    const t = parseTemplate(path);
    return typeof t === 'string' ? t : null;
  }
  return null;
}

/**
 * Validates one header value of `route.headers` (a `~*` value must be a safe regex).
 * Returns an error message or null. createRouter treats an invalid one as never matching.
 */
export function checkRouteHeaderValue(value: string): string | null {
  if (!value.startsWith('~*')) return null;
  const src = value.slice(2);
  try {
    new RegExp(src, 'i');
  } catch (e) {
    return `header regex "${value}" does not compile: ${(e as Error).message}`;
  }
  const problem = regexSafetyProblem(src);
  return problem === null ? null : `header regex "${value}" is unsafe (catastrophic backtracking): ${problem}`;
}
