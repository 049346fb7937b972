import type { ErrorObject, ValidateFunction } from 'ajv';
import { ajv, ajv2019, ajv2020, ajvFormats } from '../../lazy.js';

export type Version = 'kong' | 'draft4' | 'draft6' | 'draft7' | 'draft201909' | 'draft202012';

type AjvInstance = InstanceType<ReturnType<typeof ajv>['default']>;
const instances = new Map<string, AjvInstance>();
function ajvFor(version: Version): AjvInstance {
  const family = version === 'draft201909' ? '2019' : version === 'draft202012' ? '2020' : '7';
  let a = instances.get(family);
  if (a === undefined) {
    const Cls = (family === '2019' ? ajv2019() : family === '2020' ? ajv2020() : ajv()).default;
    a = new Cls({ allErrors: false, strict: false, allowUnionTypes: true, validateSchema: true });
    ajvFormats().default(a);
    instances.set(family, a);
  }
  return a;
}

/**
 * Compiled validators by (version, schema text): `check` (at validation) and `create` (per
 * snapshot) share them, so a schema is compiled once per process, not once per reload.
 */
const cache = new Map<string, ValidateFunction | Error>();

/** Parses and compiles a schema string of the given dialect; an Error says why it cannot be used. */
export function compileSchema(text: string, version: Version): ValidateFunction | Error {
  const key = version + '\u0000' + text;
  let v = cache.get(key);
  if (v !== undefined) return v;
  try {
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (e) {
      throw new Error(`not valid JSON: ${(e as Error).message}`);
    }
    if (version === 'kong') schema = fromKong(schema);
    else if (version === 'draft4') schema = fromDraft4(schema);
    if (typeof schema !== 'object' || schema === null) throw new Error('a schema must be a JSON object');
    if (version !== 'kong' && version !== 'draft4') delete (schema as Record<string, unknown>).$schema;
    v = ajvFor(version).compile(schema as object);
  } catch (e) {
    v = e instanceof Error ? e : new Error(String(e));
  }
  if (cache.size > 1000) cache.clear();
  cache.set(key, v);
  return v;
}

/** Draft 4 → draft 7: `id` → `$id`, boolean exclusiveMinimum/Maximum → numbers, `$schema` dropped. */
function fromDraft4(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(fromDraft4);
  if (typeof s !== 'object' || s === null) return s;
  const o = { ...(s as Record<string, unknown>) };
  delete o.$schema;
  if (typeof o.id === 'string' && o.$id === undefined) {
    o.$id = o.id;
    delete o.id;
  }
  if (o.exclusiveMinimum === true && typeof o.minimum === 'number') {
    o.exclusiveMinimum = o.minimum;
    delete o.minimum;
  } else if (typeof o.exclusiveMinimum === 'boolean') delete o.exclusiveMinimum;
  if (o.exclusiveMaximum === true && typeof o.maximum === 'number') {
    o.exclusiveMaximum = o.maximum;
    delete o.maximum;
  } else if (typeof o.exclusiveMaximum === 'boolean') delete o.exclusiveMaximum;
  for (const k of Object.keys(o)) {
    if (k === 'enum' || k === 'const' || k === 'default' || k === 'examples') continue;
    if (k === 'properties' || k === 'patternProperties' || k === 'definitions' || k === 'dependencies') {
      const m = o[k];
      if (typeof m === 'object' && m !== null && !Array.isArray(m)) {
        o[k] = Object.fromEntries(Object.entries(m as Record<string, unknown>).map(([n, v]) => [n, fromDraft4(v)]));
      }
    } else if (typeof o[k] === 'object') o[k] = fromDraft4(o[k]);
  }
  return o;
}

/**
 * Kong's own schema dialect (version: kong): an array of `{ field: { type, required, ... } }`
 * records, translated to JSON Schema. Supported: types string, number, integer, boolean, array,
 * set, map, record; required, between, gt, len_eq, len_min, len_max, one_of, elements, values,
 * fields, default. Anything else (Lua `match` patterns, custom validators) is refused.
 */
function fromKong(s: unknown): Record<string, unknown> {
  if (!Array.isArray(s)) throw new Error('a kong-dialect schema is an array of { "field": { "type": ... } } records');
  return kongRecord(s, '');
}

function kongRecord(fields: unknown[], at: string): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const f of fields) {
    if (typeof f !== 'object' || f === null || Array.isArray(f) || Object.keys(f).length !== 1) throw new Error(`${at || 'schema'}: each field is { "name": { ... } }`);
    const [name, def] = Object.entries(f as Record<string, unknown>)[0]!;
    if (typeof def !== 'object' || def === null) throw new Error(`${at}${name}: field definition must be an object`);
    const d = def as Record<string, unknown>;
    if (d.required === true) required.push(name);
    properties[name] = kongField(d, at + name);
  }
  const out: Record<string, unknown> = { type: 'object', properties };
  if (required.length > 0) out.required = required;
  return out;
}

const KONG_TYPES: Record<string, string> = { string: 'string', number: 'number', integer: 'integer', boolean: 'boolean', array: 'array', set: 'array', map: 'object', record: 'object' };
const KONG_KNOWN = new Set(['type', 'required', 'between', 'gt', 'len_eq', 'len_min', 'len_max', 'one_of', 'elements', 'values', 'keys', 'fields', 'default', 'description']);

function kongField(d: Record<string, unknown>, at: string): Record<string, unknown> {
  for (const k of Object.keys(d)) if (!KONG_KNOWN.has(k)) throw new Error(`${at}: "${k}" is not supported in kong-dialect schemas (use version: draft4 or draft7)`);
  const type = KONG_TYPES[d.type as string];
  if (type === undefined) throw new Error(`${at}: unknown type ${JSON.stringify(d.type)}`);
  const out: Record<string, unknown> = { type };
  const isStr = d.type === 'string';
  const isList = d.type === 'array' || d.type === 'set';
  if (Array.isArray(d.between)) {
    out.minimum = d.between[0];
    out.maximum = d.between[1];
  }
  if (typeof d.gt === 'number') out.exclusiveMinimum = d.gt;
  if (typeof d.len_eq === 'number') {
    out[isStr ? 'minLength' : 'minItems'] = d.len_eq;
    out[isStr ? 'maxLength' : 'maxItems'] = d.len_eq;
  }
  if (typeof d.len_min === 'number') out[isStr ? 'minLength' : 'minItems'] = d.len_min;
  if (typeof d.len_max === 'number') out[isStr ? 'maxLength' : 'maxItems'] = d.len_max;
  if (Array.isArray(d.one_of)) out.enum = d.one_of;
  if (isList && typeof d.elements === 'object' && d.elements !== null) out.items = kongField(d.elements as Record<string, unknown>, at + '[]');
  if (d.type === 'set') out.uniqueItems = true;
  if (d.type === 'map' && typeof d.values === 'object' && d.values !== null) out.additionalProperties = kongField(d.values as Record<string, unknown>, at + '{}');
  if (d.type === 'record') {
    if (!Array.isArray(d.fields)) throw new Error(`${at}: a record needs "fields"`);
    Object.assign(out, kongRecord(d.fields, at + '.'));
  }
  return out;
}

/** One ajv error as a short sentence: `/name must be string`. */
export function describeError(e: ErrorObject | undefined, prefix = ''): string {
  if (e === undefined) return 'invalid';
  const where = prefix + e.instancePath;
  return (where === '' ? '' : where + ' ') + (e.message ?? 'is invalid');
}
