import type { PluginConfigProblem, PluginContext, PluginDefinition, RequestBodyCapability } from '../types.js';
import { pluginSchema } from '../schema.js';
import { compileTemplate, render, type Template } from './template.js';

interface Fields {
  body?: string[];
  headers?: string[];
  querystring?: string[];
  uri?: string | null;
}
interface Conf {
  http_method: string | null;
  remove: Fields;
  rename: Fields;
  replace: Fields;
  add: Fields;
  append: Fields;
}

/** One `name:value` entry, split once at the first colon(s) as Kong does (`^([^:]+):*(.-)$`). */
interface Pair {
  name: string;
  value: Template;
}
interface Ops {
  remove: string[];
  rename: Array<{ from: string; to: string }>;
  replace: Pair[];
  add: Pair[];
  append: Pair[];
}

const KINDS = ['remove', 'rename', 'replace', 'add', 'append'] as const;
const FIELDS = ['headers', 'querystring', 'body'] as const;

function split(entry: string): { name: string; value: string } {
  const colon = entry.indexOf(':');
  if (colon === -1) return { name: entry, value: '' };
  let v = colon + 1;
  while (entry[v] === ':') v++;
  return { name: entry.slice(0, colon), value: entry.slice(v) };
}

function ops(conf: Conf, field: (typeof FIELDS)[number], lower: boolean): Ops | null {
  const norm = (n: string): string => (lower ? n.trim().toLowerCase() : n);
  const list = (k: (typeof KINDS)[number]): string[] => conf[k]?.[field] ?? [];
  const pairs = (k: 'replace' | 'add' | 'append'): Pair[] =>
    list(k).map((e) => {
      const { name, value } = split(e);
      return { name: norm(name), value: compileTemplate(lower ? value.trim() : value) };
    });
  const o: Ops = {
    remove: list('remove').map(norm),
    rename: list('rename').map((e) => {
      const { name, value } = split(e);
      return { from: norm(name), to: norm(value) };
    }),
    replace: pairs('replace'),
    add: pairs('add'),
    append: pairs('append'),
  };
  return o.remove.length + o.rename.length + o.replace.length + o.add.length + o.append.length === 0 ? null : o;
}

/** Cross-field rules: every template must compile; rename entries need a new name. */
function check(config: Record<string, unknown>): PluginConfigProblem[] {
  const conf = config as unknown as Conf;
  const out: PluginConfigProblem[] = [];
  for (const k of KINDS) {
    for (const f of FIELDS) {
      (conf[k]?.[f] ?? []).forEach((e, i) => {
        const { value } = split(e);
        if (k === 'rename' && value === '') out.push({ path: [k, f, i], message: `"${e}": rename needs old_name:new_name` });
        if (k === 'replace' || k === 'add' || k === 'append') {
          try {
            compileTemplate(value);
          } catch (err) {
            out.push({ path: [k, f, i], message: (err as Error).message });
          }
        }
      });
    }
  }
  if (typeof conf.replace?.uri === 'string') {
    try {
      compileTemplate(conf.replace.uri);
    } catch (err) {
      out.push({ path: ['replace', 'uri'], message: (err as Error).message });
    }
  }
  return out;
}

type BodyKind = 'json' | 'form' | null;
function bodyKind(ct: string | undefined): BodyKind {
  if (ct === undefined) return null;
  const l = ct.toLowerCase();
  if (l.includes('application/json')) return 'json';
  if (l.includes('application/x-www-form-urlencoded')) return 'form';
  return null;
}

/** A small ordered multimap for query strings and form bodies. */
type Multi = Map<string, string[]>;
function parseMulti(text: string): Multi {
  const m: Multi = new Map();
  for (const [k, v] of new URLSearchParams(text)) {
    const cur = m.get(k);
    if (cur === undefined) m.set(k, [v]);
    else cur.push(v);
  }
  return m;
}
function encodeMulti(m: Multi): string {
  const out: string[] = [];
  for (const [k, vs] of m) for (const v of vs) out.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
  return out.join('&');
}

/** Applies Kong's order (remove, rename, replace, add, append) to a multimap; true if it changed. */
function applyMulti(m: Multi, o: Ops, val: (t: Template) => string): boolean {
  let changed = false;
  for (const n of o.remove) changed = m.delete(n) || changed;
  for (const { from, to } of o.rename) {
    const v = m.get(from);
    if (v === undefined) continue;
    m.delete(from);
    m.set(to, v);
    changed = true;
  }
  for (const { name, value } of o.replace) {
    if (!m.has(name)) continue;
    m.set(name, [val(value)]);
    changed = true;
  }
  for (const { name, value } of o.add) {
    if (m.has(name)) continue;
    m.set(name, [val(value)]);
    changed = true;
  }
  for (const { name, value } of o.append) {
    const cur = m.get(name);
    if (cur === undefined) m.set(name, [val(value)]);
    else cur.push(val(value));
    changed = true;
  }
  return changed;
}

/** The same on a JSON object (values are strings, as Kong's; append makes arrays). */
function applyJson(json: Record<string, unknown>, o: Ops, val: (t: Template) => string): boolean {
  let changed = false;
  for (const n of o.remove) {
    if (json[n] === undefined) continue;
    delete json[n];
    changed = true;
  }
  for (const { from, to } of o.rename) {
    if (json[from] === undefined) continue;
    const v = json[from];
    delete json[from];
    json[to] = v;
    changed = true;
  }
  for (const { name, value } of o.replace) {
    if (json[name] === undefined) continue;
    json[name] = val(value);
    changed = true;
  }
  for (const { name, value } of o.add) {
    if (json[name] !== undefined) continue;
    json[name] = val(value);
    changed = true;
  }
  for (const { name, value } of o.append) {
    const cur = json[name];
    json[name] = Array.isArray(cur) ? [...(cur as unknown[]), val(value)] : cur === undefined || cur === null ? [val(value)] : [cur, val(value)];
    changed = true;
  }
  return changed;
}

const NO_CONTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'TRACE']);

/**
 * request-transformer (Kong priority 801): changes the request before it goes upstream — headers,
 * query string, body (JSON or form-urlencoded), method, and the upstream path (`replace.uri`) —
 * in Kong's order: headers; method (a form body moves into the query when the new method is
 * GET/HEAD/TRACE); query string; body. Each list runs remove, rename, replace, add, append.
 * Values may be templates (template.ts). Body changes make the proxy read the whole body first
 * (`bufferRequestBody`); routes with no body rules keep streaming.
 */
export const requestTransformer: PluginDefinition = {
  name: 'request-transformer',
  priority: 801,
  schema: pluginSchema('request-transformer'),
  check,
  create(instance) {
    const conf = instance.config as unknown as Conf;
    const headers = ops(conf, 'headers', true);
    const query = ops(conf, 'querystring', false);
    const body = ops(conf, 'body', false);
    const method = conf.http_method === null ? null : conf.http_method.toUpperCase();
    const uri = typeof conf.replace?.uri === 'string' ? compileTemplate(conf.replace.uri) : null;
    const formToQuery = method !== null && NO_CONTENT_METHODS.has(method);

    function transformHeaders(req: PluginContext, o: Ops, val: (t: Template) => string): void {
      const cur = new Map<string, string | null>();
      const get = (n: string): string | undefined => {
        const v = cur.has(n) ? cur.get(n) : req.header(n);
        return v === null ? undefined : v;
      };
      const set = (n: string, v: string | null): void => {
        cur.set(n, v);
        req.setUpstreamHeader(n, v);
      };
      for (const n of o.remove) if (get(n) !== undefined) set(n, null);
      for (const { from, to } of o.rename) {
        const v = get(from);
        if (v === undefined) continue;
        set(from, null);
        set(to, v);
      }
      for (const { name, value } of o.replace) if (get(name) !== undefined || name === 'host') set(name, val(value));
      for (const { name, value } of o.add) if (get(name) === undefined && name !== 'host') set(name, val(value));
      for (const { name, value } of o.append) {
        if (name === 'host') continue;
        const v = get(name);
        set(name, v === undefined ? val(value) : v + ', ' + val(value));
      }
    }

    /** The access phase; `bodyCap` is the request body when this instance asked for it. */
    const access = (req: PluginContext, bodyCap: RequestBodyCapability | null): void => {
      let parsedQuery: URLSearchParams | null = null;
      const original = (): URLSearchParams => (parsedQuery ??= new URLSearchParams(req.query));
      const val = (t: Template): string => render(t, req, original);
      if (headers !== null) transformHeaders(req, headers, val);

      let q: Multi | null = null;
      if (method !== null && method !== req.method) req.setUpstreamMethod(method);
      const kind = body !== null || formToQuery ? bodyKind(req.header('content-type')) : null;
      const raw = bodyCap === null ? null : bodyCap.requestBody;
      if (formToQuery && kind === 'form' && raw !== null && raw.length > 0) {
        const form = parseMulti(raw.toString('utf8'));
        if (form.size > 0) {
          q = parseMulti(req.query);
          for (const [k, vs] of form) {
            const cur = q.get(k);
            if (cur === undefined) q.set(k, [...vs]);
            else cur.push(...vs);
          }
        }
      }
      if (query !== null) {
        const fresh = q === null;
        q ??= parseMulti(req.query);
        if (!applyMulti(q, query, val) && fresh) q = null;
      }
      if (q !== null) req.setUpstreamQuery(encodeMulti(q));

      if (body !== null && kind !== null && raw !== null) {
        const hasContent = raw.length > 0;
        if (kind === 'json') {
          let json: unknown = {};
          if (hasContent) {
            try {
              json = JSON.parse(raw.toString('utf8'));
            } catch {
              return; // not JSON after all: sent unchanged, as Kong
            }
          }
          if (typeof json !== 'object' || json === null || Array.isArray(json)) return;
          if (applyJson(json as Record<string, unknown>, body, val)) bodyCap!.setRequestBody(Buffer.from(JSON.stringify(json)));
        } else {
          const form = hasContent ? parseMulti(raw.toString('utf8')) : new Map<string, string[]>();
          if (applyMulti(form, body, val)) bodyCap!.setRequestBody(Buffer.from(encodeMulti(form)));
        }
      }
      if (uri !== null) req.setUpstreamPath(val(uri));
    };
    // Body rules (and form-to-query) read the whole body: the proxy buffers it for this route.
    if (body !== null || formToQuery) return { bufferRequestBody: true, access: (req, b) => access(req, b) };
    return { access: (req) => access(req, null) };
  },
};
