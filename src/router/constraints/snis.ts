/**
 * `snis`: exact names and wildcards (`*.example.com`, `example.*`), matched as `hosts` are (Kong).
 * Only checked on TLS requests (`sni !== null`), as Kong (`net.protocol != "https" ||`).
 */
import type { MatchInput } from '../types.js';
import { compileHosts, hostMatches, type HostsState } from './hosts.js';
import { constraint } from './types.js';

export interface SnisState {
  exact: Set<string>;
  /** Wildcard names, or null when there are none. */
  wild: HostsState | null;
}

function test(s: SnisState, input: MatchInput): boolean {
  const sni = input.sni;
  return sni === null || s.exact.has(sni) || (s.wild !== null && hostMatches(s.wild, sni, 0));
}

export const snis = constraint<SnisState>({
  name: 'snis',
  weighs: true,
  compile: (route) => {
    if (route.snis.length === 0) return null;
    const names = route.snis.map((s) => (s.length > 1 && s.endsWith('.') ? s.slice(0, -1) : s));
    const wild = names.filter((n) => n.startsWith('*') || n.endsWith('*'));
    return { exact: new Set(names.filter((n) => !wild.includes(n))), wild: wild.length > 0 ? compileHosts(wild) : null };
  },
  test,
  why: (_s, req, route) => `sni ${req.input.sni} not in [${route.snis.join(', ')}]`,
});
