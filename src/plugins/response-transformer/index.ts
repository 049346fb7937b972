import type { PluginConfigProblem, PluginContext, PluginDefinition } from '../types.js';
import { pluginSchema } from '../schema.js';

type JsonType = 'string' | 'number' | 'boolean';
interface Part {
  headers?: string[];
  json?: string[];
  json_types?: JsonType[];
}
interface Conf {
  remove: Part;
  rename: Part;
  replace: Part;
  add: Part;
  append: Part;
}

interface Pair {
  name: string;
  value: string;
}
interface Typed {
  name: string;
  value: unknown;
}

/** `name:value`, split at the first colon(s) as Kong does (`^([^:]+):*(.-)$`). */
function split(entry: string): Pair {
  const colon = entry.indexOf(':');
  if (colon === -1) return { name: entry, value: '' };
  let v = colon + 1;
  while (entry[v] === ':') v++;
  return { name: entry.slice(0, colon), value: entry.slice(v) };
}

/** Kong's cast_value: json_types[i] (by position) makes the value a number or a boolean. */
function typed(entries: string[] | undefined, types: JsonType[] | undefined): Typed[] {
  return (entries ?? []).map((e, i) => {
    const { name, value } = split(e);
    const t = types?.[i] ?? 'string';
    if (t === 'number') {
      const n = value.trim() === '' ? NaN : Number(value);
      return { name, value: Number.isFinite(n) ? n : undefined };
    }
    if (t === 'boolean') return { name, value: value === 'true' };
    return { name, value };
  });
}

function isJson(ct: string | undefined): boolean {
  return ct !== undefined && ct.toLowerCase().includes('application/json');
}

function check(config: Record<string, unknown>): PluginConfigProblem[] {
  const c = config as unknown as Conf;
  const out: PluginConfigProblem[] = [];
  for (const k of ['replace', 'add', 'append'] as const) {
    const n = c[k]?.json?.length ?? 0;
    const t = c[k]?.json_types?.length ?? 0;
    if (t > n) out.push({ path: [k, 'json_types'], message: `${t} json_types for ${n} json entries: json_types[i] is the type of json[i]` });
  }
  return out;
}

/**
 * response-transformer (Kong priority 800). Headers (header phase, every response including
 * gateway-made ones): remove, rename, replace, add, append, in that order. JSON body (proxied
 * responses whose Content-Type contains application/json, when json rules exist): the proxy holds
 * the body (`bufferResponseBody`, up to SLUICE_MAX_BUFFERED_BODY; a longer one streams unchanged)
 * and the `body` phase applies remove, rename, replace, add, append to the top-level object;
 * values are strings unless json_types says number/boolean. Content-Length follows the new body.
 * A body that is not a JSON object is sent unchanged.
 */
export const responseTransformer: PluginDefinition = {
  name: 'response-transformer',
  priority: 800,
  schema: pluginSchema('response-transformer'),
  check,
  create(instance) {
    const c = instance.config as unknown as Conf;
    const lower = (n: string): string => n.trim().toLowerCase();
    const hRemove = (c.remove?.headers ?? []).map(lower);
    const hRename = (c.rename?.headers ?? []).map(split).map((p) => ({ from: lower(p.name), to: p.value.trim() }));
    const hReplace = (c.replace?.headers ?? []).map(split).map((p) => ({ name: p.name.trim(), value: p.value.trim() }));
    const hAdd = (c.add?.headers ?? []).map(split).map((p) => ({ name: p.name.trim(), value: p.value.trim() }));
    const hAppend = (c.append?.headers ?? []).map(split).map((p) => ({ name: p.name.trim(), value: p.value.trim() }));
    const anyHeaders = hRemove.length + hRename.length + hReplace.length + hAdd.length + hAppend.length > 0;

    const jRemove = c.remove?.json ?? [];
    const jRename = (c.rename?.json ?? []).map(split);
    const jReplace = typed(c.replace?.json, c.replace?.json_types);
    const jAdd = typed(c.add?.json, c.add?.json_types);
    const jAppend = typed(c.append?.json, c.append?.json_types);
    const anyJson = jRemove.length + jRename.length + jReplace.length + jAdd.length + jAppend.length > 0;

    function header(req: PluginContext): void {
      const get = (n: string): string | undefined => req.getResponseHeader(n);
      for (const n of hRemove) req.removeResponseHeader(n);
      for (const { from, to } of hRename) {
        const v = get(from);
        if (v === undefined || to === '') continue;
        req.removeResponseHeader(from);
        req.removeResponseHeader(to);
        req.addResponseHeader(to, v);
      }
      for (const { name, value } of hReplace) {
        if (get(name) === undefined) continue;
        req.removeResponseHeader(name);
        req.addResponseHeader(name, value);
      }
      for (const { name, value } of hAdd) if (get(name) === undefined) req.addResponseHeader(name, value);
      for (const { name, value } of hAppend) req.addResponseHeader(name, value);
    }

    function body(_req: PluginContext, _status: number, buf: Buffer): Buffer {
      let json: unknown;
      try {
        json = JSON.parse(buf.toString('utf8'));
      } catch {
        return buf;
      }
      if (typeof json !== 'object' || json === null || Array.isArray(json)) return buf;
      const o = json as Record<string, unknown>;
      for (const n of jRemove) delete o[n];
      for (const { name, value } of jRename) {
        if (o[name] === undefined || value === '') continue;
        o[value] = o[name];
        delete o[name];
      }
      for (const { name, value } of jReplace) if (o[name] !== undefined && value !== undefined) o[name] = value;
      for (const { name, value } of jAdd) if (o[name] === undefined && value !== undefined) o[name] = value;
      for (const { name, value } of jAppend) {
        if (value === undefined) continue;
        const cur = o[name];
        o[name] = typeof cur === 'string' ? [cur, value] : Array.isArray(cur) ? [...(cur as unknown[]), value] : [value];
      }
      return Buffer.from(JSON.stringify(o));
    }

    return {
      header: anyHeaders ? header : undefined,
      bufferResponseBody: anyJson ? (req) => (isJson(req.getResponseHeader('content-type')) ? Number.MAX_SAFE_INTEGER : 0) : undefined,
      body: anyJson ? body : undefined,
    };
  },
};
