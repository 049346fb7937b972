/**
 * `hosts`: exact, `*.example.com` (suffix, one or more labels), `example.*` (prefix). The port of
 * a host written `name:port` is compared with the Host header's port, or the listener port when
 * the header has none; a host without port accepts any port. Exact names also file the entry in
 * that host's own tree (router.ts), so most requests never test a host at all.
 */
import type { MatchInput } from '../types.js';
import { constraint } from './types.js';

export const H_EXACT = 0;
export const H_SUFFIX = 1; // *.example.com → ".example.com"
export const H_PREFIX = 2; // example.*     → "example."

export interface HostsState {
  kinds: Uint8Array;
  values: string[];
  /** 0 = any port. */
  ports: Int32Array;
  /** No wildcard among the hosts (Kong's priority rule 2). */
  plain: boolean;
}

/** `name[:port]` → name and port (`listenerPort` when none); IPv6 literals keep their brackets. */
export function splitHost(host: string, listenerPort: number): { name: string; port: number } {
  let name = host;
  let port = listenerPort;
  const ci = host.lastIndexOf(':');
  if (ci >= 0) {
    const close = host.charCodeAt(0) === 91 ? host.indexOf(']') : -1;
    if (host.charCodeAt(0) !== 91 || ci > close) {
      let p = 0;
      let ok = ci + 1 < host.length;
      for (let i = ci + 1; i < host.length; i++) {
        const d = host.charCodeAt(i) - 48;
        if (d < 0 || d > 9) {
          ok = false;
          break;
        }
        p = p * 10 + d;
      }
      name = host.slice(0, ci);
      if (ok) port = p;
    }
  }
  return { name, port };
}

/** Compiles host patterns (`hosts`, and wildcard `snis`, which match as hosts do). */
export function compileHosts(list: readonly string[]): HostsState {
  const n = list.length;
  const s: HostsState = { kinds: new Uint8Array(n), values: [], ports: new Int32Array(n), plain: true };
  for (let i = 0; i < n; i++) {
    const { name: h, port } = splitHost(list[i]!, 0);
    s.ports[i] = port;
    if (h.startsWith('*')) {
      s.kinds[i] = H_SUFFIX;
      s.values.push(h.slice(1));
      s.plain = false;
    } else if (h.endsWith('*')) {
      s.kinds[i] = H_PREFIX;
      s.values.push(h.slice(0, -1));
      s.plain = false;
    } else {
      s.kinds[i] = H_EXACT;
      s.values.push(h);
    }
  }
  return s;
}

/** Does the Host (`name`, `port`) match one of the hosts? (The constraint's test, as is.) */
function test(s: HostsState, _input: MatchInput | null, name: string, port: number): boolean {
  const kinds = s.kinds;
  const values = s.values;
  const ports = s.ports;
  for (let h = 0; h < kinds.length; h++) {
    const p = ports[h]!;
    if (p !== 0 && p !== port) continue;
    const v = values[h]!;
    const k = kinds[h];
    if (k === H_EXACT) {
      if (name === v) return true;
    } else if (name.length > v.length) {
      if (k === H_SUFFIX ? name.endsWith(v) : name.startsWith(v)) return true;
    }
  }
  return false;
}

/** The exact host names of a route (each gets its own tree), without duplicates. */
export function exactHostNames(s: HostsState): string[] {
  const out: string[] = [];
  for (let h = 0; h < s.kinds.length; h++) if (s.kinds[h] === H_EXACT && !out.includes(s.values[h]!)) out.push(s.values[h]!);
  return out;
}

export function hostMatches(s: HostsState, name: string, port: number): boolean {
  return test(s, null, name, port);
}

/** True when `name` is one of the exact hosts, written without a port (any port matches). */
export function hostsAnyPort(s: HostsState, name: string): boolean {
  for (let h = 0; h < s.kinds.length; h++) if (s.kinds[h] === H_EXACT && s.values[h] === name && s.ports[h] === 0) return true;
  return false;
}

export const hosts = constraint<HostsState>({
  name: 'hosts',
  weighs: true,
  compile: (route) => (route.hosts.length > 0 ? compileHosts(route.hosts) : null),
  test,
  why: (_s, req, route) => {
    const shown = route.hosts.some((h) => splitHost(h, 0).port !== 0) ? `${req.hostName}:${req.port}` : req.hostName || '(none)';
    return `host ${shown} not in [${route.hosts.join(', ')}]`;
  },
  prioritize: (s, p) => {
    p.plainHostOnly = s.plain ? 1 : 0;
  },
});
