/**
 * `headers`: every configured name must be present with one of its values (lower-cased exact
 * comparison) or match one of its `~*` regexes (case-insensitive, unanchored, as Kong).
 * `host` is not a header constraint (Kong routes it as `hosts`).
 */
import { constraint } from './types.js';

export interface HeadersState {
  names: string[];
  exact: Array<Set<string>>;
  regex: Array<RegExp[] | null>;
}

function nameOk(s: HeadersState, h: number, headers: Record<string, string>): boolean {
  const raw = headers[s.names[h]!];
  if (raw === undefined) return false;
  const v = raw.toLowerCase();
  if (s.exact[h]!.has(v)) return true;
  const regs = s.regex[h];
  if (regs === null || regs === undefined) return false;
  for (let r = 0; r < regs.length; r++) if (regs[r]!.test(v)) return true;
  return false;
}

export const headers = constraint<HeadersState>({
  name: 'headers',
  weighs: true,
  compile: (route) => {
    const names = Object.keys(route.headers).filter((h) => h !== 'host');
    if (names.length === 0) return null;
    const s: HeadersState = { names, exact: [], regex: [] };
    for (const name of names) {
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
      s.exact.push(exact);
      s.regex.push(regs);
    }
    return s;
  },
  test: (s, input) => {
    const hs = input.headers;
    for (let h = 0; h < s.names.length; h++) if (!nameOk(s, h, hs)) return false;
    return true;
  },
  why: (s, req, route) => {
    for (let h = 0; h < s.names.length; h++) {
      if (nameOk(s, h, req.input.headers)) continue;
      const name = s.names[h]!;
      const v = req.input.headers[name];
      return v === undefined ? `header ${name} is missing` : `header ${name}: ${v} not in [${route.headers[name]!.join(', ')}]`;
    }
    return 'headers do not match';
  },
  prioritize: (s, p) => {
    p.headerCount = s.names.length;
  },
});
