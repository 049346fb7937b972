/** Request and response values as Kong's PDK presents them, shared by the namespaces. */
import type { PluginContext } from '../../types.js';

export function headerObject(req: PluginContext): Record<string, string | string[]> {
  return { ...req.headers };
}

export function parseQuery(q: string, max = 100): Record<string, string | boolean | Array<string | boolean>> {
  const out: Record<string, string | boolean | Array<string | boolean>> = {};
  if (q === '') return out;
  let n = 0;
  for (const part of q.split('&')) {
    if (part === '' || n++ >= max) continue;
    const eq = part.indexOf('=');
    const dec = (s: string): string => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
    };
    const k = dec(eq < 0 ? part : part.slice(0, eq));
    const v: string | boolean = eq < 0 ? true : dec(part.slice(eq + 1));
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}

export function encodeQuery(args: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const k of Object.keys(args).sort()) {
    const v = args[k];
    const list = Array.isArray(v) ? v : [v];
    for (const x of list) {
      if (x === true) parts.push(encodeURIComponent(k));
      else if (x !== false && x !== null && x !== undefined) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(x))}`);
    }
  }
  return parts.join('&');
}

export function tlsOf(req: PluginContext): boolean {
  return (req as { tls?: boolean }).tls === true;
}

export function hostOf(req: PluginContext): string {
  const h = req.header('host') ?? '';
  return h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d+$/, '');
}

export function portOf(req: PluginContext): number {
  const p = (req as { port?: number }).port;
  if (typeof p === 'number' && p > 0) return p;
  const m = /:(\d+)$/.exec(req.header('host') ?? '');
  return m ? Number(m[1]) : tlsOf(req) ? 443 : 80;
}

/** The upstream response's headers as a Kong header table (repeated names as lists). */
export function upstreamHeaders(req: PluginContext): Record<string, string | string[]> {
  const flat = req.upstreamResponseHeaders();
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const k = flat[i]!;
    const prev = out[k];
    out[k] = prev === undefined ? flat[i + 1]! : Array.isArray(prev) ? [...prev, flat[i + 1]!] : [prev, flat[i + 1]!];
  }
  return out;
}
