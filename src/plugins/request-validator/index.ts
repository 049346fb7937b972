import type { ValidateFunction } from 'ajv';
import type { PluginConfigProblem, PluginContext, PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { compileSchema, describeError, type Version } from './compile.js';

interface Param {
  in: 'query' | 'header' | 'path';
  name: string;
  required: boolean;
  schema: string | null;
  style: 'form' | 'simple' | 'label' | 'matrix' | 'spaceDelimited' | 'pipeDelimited' | 'deepObject' | null;
  explode: boolean | null;
}
interface Conf {
  body_schema: string | null;
  parameter_schema: Param[] | null;
  allowed_content_types: string[];
  verbose_response: boolean;
  version: Version;
  content_type_parameter_validation: boolean;
}

const BODY_FAILED: PluginResponse = { status: 400, message: "request body doesn't conform to schema" };
const PARAM_FAILED: PluginResponse = { status: 400, message: "request param doesn't conform to schema" };
const TYPE_NOT_ALLOWED: PluginResponse = { status: 400, message: 'specified Content-Type is not allowed' };

/** A media type: lower-case type/subtype and parameters (charset value lower-cased too). */
interface Media {
  type: string;
  sub: string;
  params: Map<string, string>;
}
function parseMedia(text: string): Media | null {
  const parts = text.split(';');
  const [type, sub] = parts[0]!.trim().toLowerCase().split('/');
  if (!type || !sub) return null;
  const params = new Map<string, string>();
  for (let i = 1; i < parts.length; i++) {
    const eq = parts[i]!.indexOf('=');
    if (eq === -1) continue;
    const k = parts[i]!.slice(0, eq).trim().toLowerCase();
    let v = parts[i]!.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    params.set(k, k === 'charset' ? v.toLowerCase() : v);
  }
  return { type, sub, params };
}
function mediaAllowed(allowed: readonly Media[], ct: Media, withParams: boolean): boolean {
  return allowed.some((a) => {
    if (a.type !== '*' && a.type !== ct.type) return false;
    if (a.sub !== '*' && a.sub !== ct.sub) return false;
    if (!withParams) return true;
    if (a.params.size !== ct.params.size) return false;
    for (const [k, v] of a.params) if (ct.params.get(k) !== v) return false;
    return true;
  });
}

function check(config: Record<string, unknown>): PluginConfigProblem[] {
  const c = config as unknown as Conf;
  const out: PluginConfigProblem[] = [];
  if (c.body_schema == null && (c.parameter_schema == null || c.parameter_schema.length === 0)) {
    out.push({ path: [], message: 'at least one of body_schema or parameter_schema must be specified' });
  }
  if (c.body_schema != null) {
    const v = compileSchema(c.body_schema, c.version);
    if (v instanceof Error) out.push({ path: ['body_schema'], message: `invalid ${c.version} schema: ${v.message}` });
  }
  (c.parameter_schema ?? []).forEach((p, i) => {
    if (p.schema == null) return;
    // Parameter schemas are JSON Schema (Kong validates them with its draft-4 validator).
    const v = compileSchema(p.schema, c.version === 'kong' ? 'draft4' : c.version);
    if (v instanceof Error) out.push({ path: ['parameter_schema', i, 'schema'], message: `invalid schema: ${v.message}` });
    if (p.style != null && p.explode == null) out.push({ path: ['parameter_schema', i, 'explode'], message: 'explode is required when style is set' });
  });
  (c.allowed_content_types ?? []).forEach((t, i) => {
    if (parseMedia(t) === null) out.push({ path: ['allowed_content_types', i], message: `"${t}" is not a media type (type/subtype)` });
  });
  return out;
}

/** Top-level JSON Schema type of a parameter schema (what the raw string is deserialized into). */
function schemaType(schema: string | null): { type: string | null; items: string | null } {
  if (schema === null) return { type: null, items: null };
  try {
    const s = JSON.parse(schema) as { type?: unknown; items?: { type?: unknown } };
    return { type: typeof s.type === 'string' ? s.type : null, items: typeof s.items?.type === 'string' ? s.items.type : null };
  } catch {
    return { type: null, items: null };
  }
}

function coerce(v: string, type: string | null): unknown {
  if (type === 'integer' || type === 'number') {
    const n = v.trim() === '' ? NaN : Number(v);
    return Number.isFinite(n) ? n : v;
  }
  if (type === 'boolean') return v === 'true' ? true : v === 'false' ? false : v;
  if (type === 'null' && v === '') return null;
  return v;
}

const DELIM: Record<string, string> = { form: ',', simple: ',', spaceDelimited: ' ', pipeDelimited: '|' };

interface CompiledParam {
  p: Param;
  where: string;
  key: string;
  validate: ValidateFunction | null;
  type: string | null;
  items: string | null;
  style: string;
  explode: boolean;
}

/**
 * request-validator (Kong Enterprise, priority 999): validates the body against `body_schema`
 * (JSON Schema draft 4/6/7/2019-09/2020-12, or Kong's own field-list dialect, version: kong) and
 * query / header / path parameters against `parameter_schema`, answering 400. Schemas compile
 * once (ajv) when the configuration is validated. A body schema makes the proxy read the body
 * before access (`bufferRequestBody`); JSON and form-urlencoded bodies are validated, other
 * allowed types pass. Content-Type is checked against allowed_content_types when body_schema is set.
 */
export const requestValidator: PluginDefinition = {
  name: 'request-validator',
  priority: 999,
  schema: pluginSchema('request-validator'),
  check,
  create(instance) {
    const c = instance.config as unknown as Conf;
    const verbose = c.verbose_response;
    const compiled = c.body_schema != null ? compileSchema(c.body_schema, c.version) : null;
    if (compiled instanceof Error) throw compiled;
    const body: ValidateFunction | null = compiled;
    const allowed = (c.allowed_content_types ?? []).map(parseMedia).filter((m): m is Media => m !== null);
    const params: CompiledParam[] = (c.parameter_schema ?? []).map((p) => {
      const v = p.schema != null ? compileSchema(p.schema, c.version === 'kong' ? 'draft4' : c.version) : null;
      if (v instanceof Error) throw v;
      const { type, items } = schemaType(p.schema);
      const style = p.style ?? (p.in === 'query' ? 'form' : 'simple');
      return { p, where: p.in, key: p.in === 'header' ? p.name.toLowerCase() : p.name, validate: v, type, items, style, explode: p.explode ?? style === 'form' };
    });

    const fail = (base: PluginResponse, message: string): PluginResponse => (verbose ? { status: 400, message } : base);

    function paramValue(req: PluginContext, cp: CompiledParam, query: () => URLSearchParams): unknown {
      const raw: string[] = [];
      if (cp.where === 'query') {
        const q = query();
        if (cp.type === 'object' && cp.style === 'deepObject') {
          const o: Record<string, unknown> = {};
          for (const [k, v] of q) if (k.startsWith(cp.key + '[') && k.endsWith(']')) o[k.slice(cp.key.length + 1, -1)] = v;
          return Object.keys(o).length === 0 ? undefined : o;
        }
        raw.push(...q.getAll(cp.key));
      } else if (cp.where === 'header') {
        const v = req.header(cp.key);
        if (v !== undefined) raw.push(v);
      } else {
        const v = req.params?.[cp.key];
        if (v !== undefined) raw.push(decodeURIComponent(v));
      }
      if (raw.length === 0) return undefined;
      if (cp.type === 'array') {
        const delim = DELIM[cp.style] ?? ',';
        const list = cp.explode && cp.style === 'form' ? raw : raw.flatMap((r) => r.split(delim));
        return list.map((x) => coerce(x, cp.items));
      }
      if (cp.type === 'object') {
        const o: Record<string, unknown> = {};
        const parts = raw[0]!.split(',');
        if (cp.explode) {
          for (const part of parts) {
            const eq = part.indexOf('=');
            if (eq > 0) o[part.slice(0, eq)] = part.slice(eq + 1);
          }
        } else for (let i = 0; i + 1 < parts.length; i += 2) o[parts[i]!] = parts[i + 1];
        return o;
      }
      return coerce(raw[0]!, cp.type);
    }

    function validateBody(req: PluginContext, raw: Buffer): PluginResponse | undefined {
      const ctHeader = req.header('content-type');
      const ct = ctHeader === undefined ? null : parseMedia(ctHeader);
      if (ct === null) {
        if (raw.length === 0) return undefined; // no body, no type: nothing to validate
        return TYPE_NOT_ALLOWED;
      }
      if (!mediaAllowed(allowed, ct, c.content_type_parameter_validation)) return TYPE_NOT_ALLOWED;
      let data: unknown;
      const text = raw.toString('utf8');
      if (ct.sub === 'json' || ct.sub.endsWith('+json')) {
        try {
          data = JSON.parse(text);
        } catch {
          return fail(BODY_FAILED, 'request body is not valid JSON');
        }
      } else if (ct.type === 'application' && ct.sub === 'x-www-form-urlencoded') {
        const o: Record<string, unknown> = {};
        for (const [k, v] of new URLSearchParams(text)) {
          const cur = o[k];
          o[k] = cur === undefined ? v : Array.isArray(cur) ? [...(cur as unknown[]), v] : [cur, v];
        }
        data = o;
      } else return undefined; // an allowed type Sluice does not parse (multipart...): passes
      if (body!(data)) return undefined;
      return fail(BODY_FAILED, 'request body ' + describeError(body!.errors?.[0]).replace(/^\//, '/'));
    }

    function validateParams(req: PluginContext): PluginResponse | undefined {
      if (params.length > 0) {
        let q: URLSearchParams | null = null;
        const query = (): URLSearchParams => (q ??= new URLSearchParams(req.query));
        for (let i = 0; i < params.length; i++) {
          const cp = params[i]!;
          const v = paramValue(req, cp, query);
          if (v === undefined) {
            if (cp.p.required) return fail(PARAM_FAILED, `${cp.where} '${cp.p.name}' validation failed, [error] required parameter missing`);
            continue;
          }
          if (cp.validate !== null && !cp.validate(v)) {
            return fail(PARAM_FAILED, `${cp.where} '${cp.p.name}' validation failed, [error] ${describeError(cp.validate.errors?.[0])}`);
          }
        }
      }
      return undefined;
    }

    // A body schema reads the whole body: the proxy buffers it for this route.
    if (body !== null) return { bufferRequestBody: true, access: (req, b) => validateParams(req) ?? validateBody(req, b.requestBody) };
    return { access: validateParams };
  },
};
