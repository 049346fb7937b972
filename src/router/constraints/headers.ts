/**
 * `headers`: every configured name must be present with a value that equals one of the route's
 * values (case-insensitive) or matches one of its `~*` regexes (case-insensitive, unanchored, as
 * Kong). When the request carries the header several times, any one of its values may match
 * (Kong); names written with `_` match `-` (Kong: `user_agent` is `User-Agent`). `host` is not a
 * header constraint (Kong routes it as `hosts`).
 */
import type { MatchInput } from '../types.js';
import { constraint } from './types.js';

export interface HeadersState {
  /** Request header names to read (lower case, `_` → `-`). */
  names: string[];
  /** The names as written in the route (for messages). */
  written: string[];
  exact: Array<Set<string>>;
  regex: Array<RegExp[] | null>;
}

function valueOk(s: HeadersState, h: number, raw: string): boolean {
  const v = raw.toLowerCase();
  if (s.exact[h]!.has(v)) return true;
  const regs = s.regex[h];
  if (regs === null || regs === undefined) return false;
  for (let r = 0; r < regs.length; r++) if (regs[r]!.test(v)) return true;
  return false;
}

function nameOk(s: HeadersState, h: number, headers: MatchInput['headers']): boolean {
  const raw = headers[s.names[h]!];
  if (raw === undefined) return false;
  if (typeof raw === 'string') {
    if (valueOk(s, h, raw)) return true;
    // a repeated header arrives joined with ", ": any one of its values may match
    if (raw.indexOf(', ') < 0) return false;
    for (const part of raw.split(', ')) if (valueOk(s, h, part)) return true;
    return false;
  }
  for (let i = 0; i < raw.length; i++) if (valueOk(s, h, raw[i]!)) return true;
  return false;
}

function test(s: HeadersState, input: MatchInput): boolean {
  const hs = input.headers;
  for (let h = 0; h < s.names.length; h++) if (!nameOk(s, h, hs)) return false;
  return true;
}

export const headers = constraint<HeadersState>({
  name: 'headers',
  weighs: true,
  compile: (route) => {
    const written = Object.keys(route.headers).filter((h) => h.toLowerCase().replace(/_/g, '-') !== 'host');
    if (written.length === 0) return null;
    const s: HeadersState = { names: [], written, exact: [], regex: [] };
    for (const name of written) {
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
      s.names.push(name.toLowerCase().replace(/_/g, '-'));
      s.exact.push(exact);
      s.regex.push(regs);
    }
    return s;
  },
  test,
  why: (s, req, route) => {
    for (let h = 0; h < s.names.length; h++) {
      if (nameOk(s, h, req.input.headers)) continue;
      const name = s.names[h]!;
      const v = req.input.headers[name];
      const shown = v === undefined ? '' : typeof v === 'string' ? v : v.join(', ');
      return v === undefined ? `header ${name} is missing` : `header ${name}: ${shown} not in [${route.headers[s.written[h]!]!.join(', ')}]`;
    }
    return 'headers do not match';
  },
  prioritize: (s, p) => {
    p.headerCount = s.names.length;
  },
});
