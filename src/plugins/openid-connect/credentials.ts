import type { PluginContext } from '../types.js';
import { bearerToken } from '../oauth/common.js';
import type { ParamType } from './config.js';
import { cookieValue } from './seal.js';

/**
 * Where credentials are read from, as Kong's *_param_type fields say: the header, the query
 * string, the body (form-encoded or JSON; only when the route's bodies are buffered, which the
 * plugin asks for when a param type lists `body`) or a cookie.
 */
export interface Found {
  value: string;
  from: ParamType;
}

function queryParam(req: PluginContext, name: string): string | undefined {
  if (req.query === '' || !req.query.includes(name)) return undefined;
  const v = new URLSearchParams(req.query).get(name);
  return v === null || v === '' ? undefined : v;
}

const parsedBodies = new WeakMap<Buffer, Record<string, unknown> | null>();

function bodyParam(req: PluginContext, name: string, body: Buffer | null): string | undefined {
  if (body === null || body.length === 0) return undefined;
  let parsed = parsedBodies.get(body);
  if (parsed === undefined) {
    parsed = null;
    const type = (req.header('content-type') ?? '').toLowerCase();
    try {
      if (type.startsWith('application/x-www-form-urlencoded')) parsed = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
      else if (type.startsWith('application/json')) {
        const v: unknown = JSON.parse(body.toString('utf8'));
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) parsed = v as Record<string, unknown>;
      }
    } catch {
      parsed = null;
    }
    parsedBodies.set(body, parsed);
  }
  const v = parsed?.[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The bearer token (Authorization header, `access_token` argument, or the bearer cookie). */
/** `body`: the request body when the plugin buffered it (a param type lists `body`), else null. */
export function findBearer(req: PluginContext, body: Buffer | null, types: ReadonlySet<ParamType>, cookieName: string | null): Found | undefined {
  if (types.has('header')) {
    const t = bearerToken(req.header('authorization'));
    if (t !== undefined) return { value: t, from: 'header' };
  }
  if (types.has('query')) {
    const t = queryParam(req, 'access_token');
    if (t !== undefined) return { value: t, from: 'query' };
  }
  if (types.has('body')) {
    const t = bodyParam(req, 'access_token', body);
    if (t !== undefined) return { value: t, from: 'body' };
  }
  if (types.has('cookie') && cookieName !== null) {
    const t = cookieValue(req.header('cookie'), cookieName);
    if (t !== undefined && t !== '') return { value: t, from: 'cookie' };
  }
  return undefined;
}

/** A named parameter (id_token_param_name, refresh_token_param_name): a header of that name, or an argument. */
export function findNamed(req: PluginContext, body: Buffer | null, types: ReadonlySet<ParamType>, name: string): Found | undefined {
  if (types.has('header')) {
    const v = req.header(name.toLowerCase());
    if (v !== undefined && v !== '') return { value: bearerToken(v) ?? v, from: 'header' };
  }
  if (types.has('query')) {
    const v = queryParam(req, name);
    if (v !== undefined) return { value: v, from: 'query' };
  }
  if (types.has('body')) {
    const v = bodyParam(req, name, body);
    if (v !== undefined) return { value: v, from: 'body' };
  }
  return undefined;
}

/** A pair presented by the client: `Authorization: Basic` (header), or two arguments (query, body). */
export interface Pair {
  id: string;
  secret: string;
  from: ParamType;
  /** The client's own Authorization header, forwarded unchanged when it came from there. */
  header?: string;
}

export function findPair(req: PluginContext, body: Buffer | null, types: ReadonlySet<ParamType>, idName: string, secretName: string): Pair | undefined {
  if (types.has('header')) {
    const h = req.header('authorization');
    if (h !== undefined && h.length > 6 && h.slice(0, 6).toLowerCase() === 'basic ') {
      const text = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
      const i = text.indexOf(':');
      if (i > 0) return { id: decodeForm(text.slice(0, i)), secret: decodeForm(text.slice(i + 1)), from: 'header', header: h };
    }
  }
  for (const from of ['query', 'body'] as const) {
    if (!types.has(from)) continue;
    const id = from === 'query' ? queryParam(req, idName) : bodyParam(req, idName, body);
    const secret = from === 'query' ? queryParam(req, secretName) : bodyParam(req, secretName, body);
    if (id !== undefined && secret !== undefined) return { id, secret, from };
  }
  return undefined;
}

/** RFC 6749 §2.3.1: Basic client credentials are form-encoded before base64 (plain ones decode to themselves). */
function decodeForm(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** The query string without the named arguments (hide_credentials), or null when unchanged. */
export function queryWithout(query: string, names: readonly string[]): string | null {
  if (query === '') return null;
  const q = new URLSearchParams(query);
  let changed = false;
  for (const n of names) {
    if (q.has(n)) {
      q.delete(n);
      changed = true;
    }
  }
  return changed ? q.toString() : null;
}
