import type { ErrorObject, ValidateFunction } from 'ajv';
import type { PluginDefinition } from '../plugins/types.js';
import { didYouMean } from './suggest.js';
import { err, formatPath, warn, type Issue, type JsonPath } from './issues.js';
import { compileSchema, secretChains, validators } from './validators.js';
import { isObj, items, pluginSites, type Obj } from './walk.js';

/** Per plugin schema: the property chains of its `x-secret` fields. */
const secretChainCache = new WeakMap<object, string[][]>();
/** Plugins registered without a schema file (tests): their schema compiled here, once. */
const inlineValidators = new WeakMap<object, ValidateFunction>();

/** The plugins validation knows (the gateway's catalogue, src/plugins/catalogue.ts). */
export interface PluginLookup {
  get(name: string): PluginDefinition | undefined;
  /** Every plugin name, for "did you mean" suggestions. */
  names?(): readonly string[];
}

export interface ValidateResult {
  issues: Issue[];
  /** Document paths of plugin config values marked `x-secret`. */
  secretPaths: JsonPath[];
}

/**
 * Validates the (migrated) document against schemas/gateway.schema.json, filling defaults in
 * place, then each plugin's `config` against its plugin's schema. Reports every error.
 */
export function validateDocument(root: Obj, catalogue: PluginLookup): ValidateResult {
  const issues: Issue[] = [];
  const secretPaths: JsonPath[] = [];
  const set = validators();
  const validate = set.gateway;
  if (!validate(root)) issues.push(...ajvIssues(validate.errors ?? [], root, []));
  issues.push(...serviceChecks(root));

  for (const { plugin, path } of pluginSites(root)) {
    const name = plugin.name;
    if (typeof name !== 'string') continue;
    const def = catalogue.get(name);
    if (!def) {
      issues.push(err([...path, 'name'], `plugin ${name} is not supported${didYouMean(name, catalogue.names?.() ?? [])}`));
      continue;
    }
    if (!isObj(plugin.config)) continue; // the gateway schema already reported it
    let v = set.plugin(name) ?? inlineValidators.get(def.schema);
    if (v === undefined) inlineValidators.set(def.schema, (v = compileSchema(def.schema)));
    const ok = v(plugin.config);
    let chains = secretChainCache.get(def.schema);
    if (chains === undefined) secretChainCache.set(def.schema, (chains = secretChains(def.schema)));
    for (const chain of chains) if (hasPath(plugin.config, chain)) secretPaths.push([...path, 'config', ...chain]);
    if (!ok) issues.push(...ajvIssues(v.errors ?? [], plugin.config, [...path, 'config']));
    else if (def.check) for (const p of def.check(plugin.config)) issues.push(err([...path, 'config', ...p.path], `${formatPath([...path, 'config', ...p.path])} ${p.message}`));
  }
  return { issues, secretPaths };
}

/**
 * Rules a JSON Schema says badly: a service needs url or host; url must parse. As in Kong, `url`
 * is a shorthand that overrides protocol/host/port/path (its path only when it has one): a
 * field that disagrees with it gets a warning.
 */
function serviceChecks(root: Obj): Issue[] {
  const out: Issue[] = [];
  for (const [svc, sp] of items(root, 'services', [])) {
    if (typeof svc.url === 'string') {
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(svc.url)) continue; // the schema's pattern reported it
      const url = parseServiceUrl(svc.url);
      if (typeof url === 'string') {
        out.push(err([...sp, 'url'], `${formatPath([...sp, 'url'])} ${url}`));
        continue;
      }
      for (const k of ['protocol', 'host', 'port', 'path'] as const) {
        const given = svc[k];
        const fromUrl = url[k];
        if (given === undefined || fromUrl === null || given === fromUrl) continue;
        out.push(warn([...sp, k], `${formatPath([...sp, k])} ${JSON.stringify(given)} is overridden by url (${JSON.stringify(fromUrl)})`));
      }
    } else if (!('host' in svc)) {
      out.push(err(sp, `${formatPath(sp)} needs url, or host (with optional protocol, port, path)`));
    }
  }
  return out;
}

export interface ServiceUrl {
  protocol: 'http' | 'https' | 'ws' | 'wss';
  host: string;
  port: number;
  /** Null when the url has no path (`http://h:80`). */
  path: string | null;
}

/** Splits a service url (default ports 80 for http/ws, 443 for https/wss); returns a problem text instead when it is unusable. */
export function parseServiceUrl(text: string): ServiceUrl | string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `is not a valid URL: ${text}`;
  }
  const protocol = u.protocol.replace(/:$/, '');
  if (protocol !== 'http' && protocol !== 'https' && protocol !== 'ws' && protocol !== 'wss') return `must use http, https, ws or wss (got ${protocol})`;
  if (u.hostname === '') return 'has no host';
  const rawPath = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*(\/[^?#]*)?/.exec(text)?.[1];
  const port = u.port === '' ? (protocol === 'https' || protocol === 'wss' ? 443 : 80) : Number(u.port);
  return { protocol, host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port, path: rawPath === undefined ? null : u.pathname };
}

/** True when `data` has a value (null included) at the property chain. */
function hasPath(data: Obj, chain: readonly string[]): boolean {
  let cur: unknown = data;
  for (const key of chain) {
    if (!isObj(cur) || !Object.hasOwn(cur, key)) return false;
    cur = cur[key];
  }
  return true;
}

function pointerToPath(ptr: string, data: unknown): JsonPath {
  const out: JsonPath = [];
  let cur: unknown = data;
  for (const raw of ptr.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = isObj(cur) ? cur[seg] : undefined;
    }
  }
  return out;
}

const ARTICLE: Record<string, string> = {
  string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', object: 'a mapping', array: 'a list', null: 'null',
};

function typeText(t: unknown): string {
  const list = Array.isArray(t) ? t : [t];
  return list.map((x) => ARTICLE[String(x)] ?? String(x)).join(' or ');
}

/**
 * Turns ajv's errors into one message per real problem: for oneOf/anyOf keep only the branch
 * that got furthest into the value (or say which types are accepted), never ajv's summary noise.
 */
export function ajvIssues(errors: ErrorObject[], data: unknown, prefix: JsonPath): Issue[] {
  const dropped = new Set<ErrorObject>();
  const extra: Array<{ e: ErrorObject; message: string; subtree: boolean }> = [];
  const combos = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const c of combos) {
    if (dropped.has(c)) continue;
    const base = `${c.schemaPath}/`;
    const subs = errors.filter((e) => e !== c && e.schemaPath.startsWith(base) && !dropped.has(e));
    dropped.add(c);
    if (subs.length === 0) {
      extra.push({ e: c, message: c.keyword === 'oneOf' ? 'matches more than one allowed form' : 'is not valid', subtree: true });
      continue;
    }
    const branches = new Map<string, ErrorObject[]>();
    for (const s of subs) {
      const b = s.schemaPath.slice(base.length).split('/')[0]!;
      branches.set(b, [...(branches.get(b) ?? []), s]);
    }
    const list = [...branches.values()];
    const rootType = (bs: ErrorObject[]): boolean => bs.length === 1 && bs[0]!.keyword === 'type' && bs[0]!.instancePath === c.instancePath;
    const allRequired = list.every((bs) => bs.every((s) => s.keyword === 'required' && s.instancePath === c.instancePath));
    for (const s of subs) dropped.add(s);
    if (list.every(rootType)) {
      extra.push({ e: c, message: `must be ${list.map((bs) => typeText(bs[0]!.params.type)).join(' or ')}`, subtree: true });
      continue;
    }
    if (allRequired) {
      const keys = subs.map((s) => String(s.params.missingProperty));
      extra.push({ e: c, message: `must set ${keys.length === 2 ? 'either' : 'one of'} ${keys.join(keys.length === 2 ? ' or ' : ', ')}`, subtree: false });
      continue;
    }
    const depth = (bs: ErrorObject[]): number => Math.max(...bs.map((s) => s.instancePath.split('/').length));
    const best = list.filter((bs) => !rootType(bs)).sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0]!;
    for (const s of best) dropped.delete(s);
  }

  const out: Issue[] = [];
  const seen = new Set<string>();
  const push = (issue: Issue): void => {
    if (issue.subtree === undefined && !issue.atKey && !/ is missing required key /.test(issue.message)) issue.subtree = true;
    const key = `${issue.path.join('\u0000')}\u0001${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue);
    }
  };
  for (const e of errors) {
    if (dropped.has(e)) continue;
    const path = [...prefix, ...pointerToPath(e.instancePath, data)];
    const where = formatPath(path);
    const ps = (e.parentSchema ?? {}) as Record<string, unknown>;
    const p = e.params as Record<string, unknown>;
    const range = (): string | undefined =>
      typeof ps.minimum === 'number' && typeof ps.maximum === 'number'
        ? `must be ${ps.type === 'integer' ? 'an integer' : 'a number'} between ${ps.minimum} and ${ps.maximum}`
        : undefined;
    switch (e.keyword) {
      case 'additionalProperties':
        push(err([...path, String(p.additionalProperty)], `${where} has unknown key "${String(p.additionalProperty)}"${didYouMean(String(p.additionalProperty), Object.keys((ps.properties ?? {}) as object))}`, true));
        break;
      case 'required':
        push(err(path, `${where} is missing required key "${String(p.missingProperty)}"`));
        break;
      case 'type':
        push(err(path, `${where} ${range() ?? `must be ${typeText(p.type)}`}`));
        break;
      case 'enum':
        push(err(path, `${where} must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`));
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        push(err(path, `${where} ${range() ?? `must be ${String(p.comparison)} ${String(p.limit)}`}`));
        break;
      case 'pattern':
        push(err(path, `${where} ${typeof ps['x-message'] === 'string' ? ps['x-message'] : `must match ${String(p.pattern)}`}`));
        break;
      case 'format':
        push(err(path, `${where} must be a valid ${String(p.format)}`));
        break;
      case 'minLength':
        push(err(path, p.limit === 1 ? `${where} must not be empty` : `${where} must be at least ${String(p.limit)} characters long`));
        break;
      case 'minItems':
        push(err(path, `${where} must have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`));
        break;
      case 'minProperties':
      case 'maxProperties':
        push(err(path, `${where} must set exactly one of ${Object.keys((ps.properties ?? {}) as object).join(', ')}`));
        break;
      default:
        push(err(path, `${where} ${e.message ?? 'is invalid'}`));
    }
  }
  for (const { e, message, subtree } of extra) {
    const path = [...prefix, ...pointerToPath(e.instancePath, data)];
    push({ ...err(path, `${formatPath(path)} ${message}`), subtree });
  }
  return out;
}
