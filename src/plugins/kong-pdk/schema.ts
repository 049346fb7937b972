/**
 * Kong's plugin schema (the field-list form kong-js-pdk modules export as `Schema`) translated
 * into the JSON Schema Sluice validates plugin configs with, so a wrong config of a Kong-format
 * plugin is a FILE:LINE:COL error like any other.
 *
 *   [{ message: { type: "string", default: "hello" } }, { count: { type: "integer", between: [1, 10] } }]
 *
 * Supported: types string, number, integer, boolean, array, set, map, record; `required`,
 * `default`, `one_of`, `between`, `gt`, `len_min`, `len_max`, `match` (a Lua pattern, translated to
 * a regular expression), `elements` (array/set), `fields` (record), `keys`/`values` (map). As in
 * Kong, a field that is neither required nor defaulted is null when absent, and an unknown key is
 * an error.
 */
export type KongField = Record<string, unknown>;
export type KongFieldList = Array<Record<string, KongField>>;

export class KongSchemaError extends Error {}

/** The JSON Schema of a plugin `config` whose fields are `fields`. */
export function kongSchemaToJsonSchema(fields: unknown, where = 'Schema'): Record<string, unknown> {
  // kong-js-pdk modules give the config's fields; a full Kong schema ({ name, fields: [{ config: { type: record, fields } }] }) is accepted too.
  if (fields !== null && typeof fields === 'object' && !Array.isArray(fields) && Array.isArray((fields as { fields?: unknown }).fields)) {
    const outer = (fields as { fields: KongFieldList }).fields;
    const cfg = outer.find((f) => f !== null && typeof f === 'object' && 'config' in f);
    if (cfg !== undefined) return record(cfg.config as KongField, `${where}.config`);
  }
  if (fields === undefined || fields === null) fields = [];
  if (!Array.isArray(fields)) throw new KongSchemaError(`${where} must be a list of fields ([{ name: { type: ... } }])`);
  return record({ type: 'record', fields }, where);
}

function record(field: KongField, where: string): Record<string, unknown> {
  const list = field.fields ?? [];
  if (!Array.isArray(list)) throw new KongSchemaError(`${where}.fields must be a list`);
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  list.forEach((entry: unknown, i: number) => {
    if (entry === null || typeof entry !== 'object' || Object.keys(entry).length !== 1) {
      throw new KongSchemaError(`${where}[${i}] must be { name: { type: ... } }`);
    }
    const [name, def] = Object.entries(entry as Record<string, unknown>)[0]!;
    if (def === null || typeof def !== 'object') throw new KongSchemaError(`${where}.${name} must be a field definition`);
    const f = def as KongField;
    const s = field2(f, `${where}.${name}`);
    if (f.required === true && f.default === undefined) required.push(name);
    else if (f.default === undefined && f.type !== 'record') {
      // Kong gives an optional field without a default the value null.
      s.type = [s.type as string, 'null'];
      s.default = null;
    }
    properties[name] = s;
  });
  const out: Record<string, unknown> = { type: 'object', additionalProperties: false, properties };
  if (required.length > 0) out.required = required;
  return out;
}

/** The fields being translated, outermost first: a field that contains itself is refused, not walked forever. */
const open = new Set<KongField>();

function field2(f: KongField, where: string): Record<string, unknown> {
  if (open.has(f)) throw new KongSchemaError(`${where} contains itself (a cycle in the Schema)`);
  open.add(f);
  try {
    return translate(f, where);
  } finally {
    open.delete(f);
  }
}

function translate(f: KongField, where: string): Record<string, unknown> {
  const type = f.type;
  let s: Record<string, unknown>;
  switch (type) {
    case 'string':
      s = { type: 'string' };
      if (typeof f.len_min === 'number') s.minLength = f.len_min;
      if (typeof f.len_max === 'number') s.maxLength = f.len_max;
      if (typeof f.match === 'string') {
        s.pattern = luaPatternToRegex(f.match);
        s['x-message'] = `must match the pattern ${f.match}`;
      }
      break;
    case 'number':
    case 'integer':
      s = { type };
      if (Array.isArray(f.between) && f.between.length === 2) {
        s.minimum = f.between[0];
        s.maximum = f.between[1];
      }
      if (typeof f.gt === 'number') s.exclusiveMinimum = f.gt;
      break;
    case 'boolean':
      s = { type: 'boolean' };
      break;
    case 'array':
    case 'set': {
      s = { type: 'array' };
      if (f.elements !== undefined) s.items = field2(f.elements as KongField, `${where}.elements`);
      if (typeof f.len_min === 'number') s.minItems = f.len_min;
      if (typeof f.len_max === 'number') s.maxItems = f.len_max;
      if (type === 'set') s.uniqueItems = true;
      break;
    }
    case 'map':
      s = { type: 'object' };
      if (f.values !== undefined) s.additionalProperties = field2(f.values as KongField, `${where}.values`);
      if (f.keys !== undefined) {
        const k = field2(f.keys as KongField, `${where}.keys`);
        delete k.type;
        s.propertyNames = k;
      }
      if (typeof f.len_min === 'number') s.minProperties = f.len_min;
      if (typeof f.len_max === 'number') s.maxProperties = f.len_max;
      break;
    case 'record':
      s = record(f, where);
      break;
    default:
      throw new KongSchemaError(`${where}: unsupported field type ${JSON.stringify(type)} (string, number, integer, boolean, array, set, map, record)`);
  }
  if (Array.isArray(f.one_of)) s.enum = f.one_of;
  if (f.default !== undefined) s.default = f.default;
  else if (type === 'record' && f.required !== true) s.default = {};
  if (typeof f.description === 'string') s.description = f.description;
  if (f.encrypted === true || f.referenceable === true) s['x-secret'] = true;
  return s;
}

/** Lua pattern → JavaScript regular expression source (anchors, classes %a %d %w %s %l %u %p %x, %-escapes, `-` as lazy `*`). */
export function luaPatternToRegex(p: string): string {
  const classes: Record<string, string> = { a: 'A-Za-z', d: '0-9', l: 'a-z', u: 'A-Z', s: '\\s', w: 'A-Za-z0-9', x: 'A-Fa-f0-9', p: '!-/:-@\\[-`{-~', c: '\\x00-\\x1f' };
  let out = '';
  let inSet = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '%' && i + 1 < p.length) {
      const n = p[++i]!;
      const cls = classes[n.toLowerCase()];
      if (cls !== undefined) {
        const upper = n !== n.toLowerCase();
        out += inSet ? (upper ? '' : cls) : upper ? `[^${cls}]` : `[${cls}]`;
      } else out += /[A-Za-z0-9]/.test(n) ? n : '\\' + n;
      continue;
    }
    if (c === '[') inSet = true;
    else if (c === ']') inSet = false;
    if (!inSet && c === '-') {
      out += '*?';
      continue;
    }
    if (inSet && (c === '\\')) {
      out += '\\\\';
      continue;
    }
    if (!inSet && (c === '/' || c === '{' || c === '}' || c === '|' || c === '\\')) {
      out += '\\' + c;
      continue;
    }
    out += c;
  }
  return out;
}
