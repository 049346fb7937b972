/**
 * Entity-level diff of two configurations, for `sluice diff` (pull-request review).
 *
 * Entities are matched by name (username for consumers, name + scope for plugins, upstream +
 * target for targets, id otherwise). References are shown by name (a route's service, a plugin's
 * scope, a credential's consumer), so renaming a service shows on the service and on each route
 * that points at it. Where an entity was written (`pos`) and its file order are not compared.
 *
 * Secrets (every path in `config.secrets`: credentials, vault-resolved values, plugin fields
 * marked `x-secret`) never leave this module: a changed secret is reported with `secret: true`
 * and no values, and an added or removed entity shows its secret fields as "<redacted>".
 */
import { MAX_DEPTH } from '../config/shape.js';
import type { Config } from '../config/types.js';

export type EntityKind =
  | 'services' | 'routes' | 'consumers' | 'consumer_groups' | 'plugins' | 'upstreams' | 'targets' | 'certificates'
  | 'keyauth_credentials' | 'basicauth_credentials' | 'jwt_secrets' | 'hmacauth_credentials' | 'acls';

/** Report order. */
export const ENTITY_KINDS: readonly EntityKind[] = [
  'services', 'routes', 'consumers', 'consumer_groups', 'plugins', 'upstreams', 'targets', 'certificates',
  'keyauth_credentials', 'basicauth_credentials', 'jwt_secrets', 'hmacauth_credentials', 'acls',
];

export const REDACTED = '<redacted>';

/** One changed field: dotted path (`config.minute`, `healthchecks.active.http_path`); arrays compare whole. */
export type FieldChange =
  | { field: string; secret: false; old: unknown; new: unknown }
  | { field: string; secret: true };

export interface EntityChange {
  kind: EntityKind;
  /** The matching key (`orders`, `rate-limiting route=orders`, `demo-upstream/10.0.0.1:80`). */
  key: string;
  /** For people: `route orders`, `plugin rate-limiting (route orders)`. */
  label: string;
  change: 'added' | 'removed' | 'changed';
  /** Changed fields (for `changed`), sorted by field. */
  fields: FieldChange[];
  /** The added or removed entity, flattened, secrets redacted (null for `changed`). */
  entity: Record<string, unknown> | null;
}

export interface ConfigDiff {
  changes: EntityChange[];
  counts: { added: number; removed: number; changed: number };
}

type Path = Array<string | number>;

interface View {
  key: string;
  label: string;
  /** Where the entity lives in its Config (for secret paths). */
  base: Path;
  /** Comparable fields: field path → value (leaves; arrays whole). */
  fields: Map<string, { path: Path; value: unknown }>;
}

const OMIT = new Set(['id', 'pos', 'order']);

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function flatten(value: Record<string, unknown>, omit: ReadonlySet<string>): Map<string, { path: Path; value: unknown }> {
  const out = new Map<string, { path: Path; value: unknown }>();
  const walk = (v: unknown, path: Path): void => {
    // The loader bounds nesting (config/shape.ts); past that depth a value compares whole.
    if (isPlain(v) && (path.length === 0 || Object.keys(v).length > 0) && path.length < MAX_DEPTH) {
      for (const k of Object.keys(v).sort()) {
        if (path.length === 0 && omit.has(k)) continue;
        walk(v[k], [...path, k]);
      }
    } else out.set(path.join('.'), { path, value: v });
  };
  walk(value, []);
  return out;
}

function views(config: Config): Map<EntityKind, View[]> {
  const svcName = new Map(config.services.map((s) => [s.id, s.name ?? s.id]));
  const routeName = new Map(config.routes.map((r) => [r.id, r.name ?? r.id]));
  const consumerName = new Map(config.consumers.map((c) => [c.id, c.username ?? c.custom_id ?? c.id]));
  const groupName = new Map(config.consumer_groups.map((g) => [g.id, g.name]));
  const ref = (m: Map<string, string>, id: string | null): string | null => (id === null ? null : m.get(id) ?? id);
  const out = new Map<EntityKind, View[]>();
  const add = (kind: EntityKind, key: string, label: string, base: Path, entity: Record<string, unknown>, omit: readonly string[] = []): void => {
    const list = out.get(kind) ?? [];
    list.push({ key, label, base, fields: flatten(entity, new Set([...OMIT, ...omit])) });
    out.set(kind, list);
  };

  config.services.forEach((s, i) => add('services', s.name ?? s.id, `service ${s.name ?? s.id}`, ['services', i], { ...s }));
  config.routes.forEach((r, i) => add('routes', r.name ?? r.id, `route ${r.name ?? r.id}`, ['routes', i], { ...r, service: ref(svcName, r.service) }));
  config.consumers.forEach((c, i) => {
    const key = c.username ?? c.custom_id ?? c.id;
    add('consumers', key, `consumer ${key}`, ['consumers', i], { ...c });
  });
  config.consumer_groups.forEach((g, i) => add('consumer_groups', g.name, `consumer group ${g.name}`, ['consumer_groups', i], { ...g }));
  config.plugins.forEach((p, i) => {
    const scope: string[] = [];
    if (p.service !== null) scope.push(`service=${ref(svcName, p.service)}`);
    if (p.route !== null) scope.push(`route=${ref(routeName, p.route)}`);
    if (p.consumer !== null) scope.push(`consumer=${ref(consumerName, p.consumer)}`);
    if (p.consumer_group !== null) scope.push(`consumer_group=${ref(groupName, p.consumer_group)}`);
    const key = [p.name, ...scope].join(' ');
    const label = `plugin ${p.name} (${scope.length === 0 ? 'global' : scope.map((x) => x.replace('=', ' ')).join(', ')})`;
    add('plugins', key, label, ['plugins', i], {
      ...p, service: ref(svcName, p.service), route: ref(routeName, p.route), consumer: ref(consumerName, p.consumer), consumer_group: ref(groupName, p.consumer_group),
    });
  });
  config.upstreams.forEach((u, i) => {
    add('upstreams', u.name, `upstream ${u.name}`, ['upstreams', i], { ...u }, ['targets']);
    u.targets.forEach((t, j) => add('targets', `${u.name}/${t.target}`, `target ${t.target} of upstream ${u.name}`, ['upstreams', i, 'targets', j], { ...t, upstream: u.name }, ['host', 'port']));
  });
  config.certificates.forEach((c, i) => add('certificates', c.id, `certificate ${c.snis.length > 0 ? c.snis.join(', ') : c.id}`, ['certificates', i], { ...c }));

  const owner = (id: string): string => consumerName.get(id) ?? id;
  config.keyauth_credentials.forEach((c, i) => add('keyauth_credentials', c.id, `key-auth credential ${c.id} of consumer ${owner(c.consumer)}`, ['keyauth_credentials', i], { ...c, consumer: owner(c.consumer) }));
  config.basicauth_credentials.forEach((c, i) => add('basicauth_credentials', c.id, `basic-auth credential ${c.username} of consumer ${owner(c.consumer)}`, ['basicauth_credentials', i], { ...c, consumer: owner(c.consumer) }));
  config.jwt_secrets.forEach((c, i) => add('jwt_secrets', c.id, `jwt secret ${c.key} of consumer ${owner(c.consumer)}`, ['jwt_secrets', i], { ...c, consumer: owner(c.consumer) }));
  config.hmacauth_credentials.forEach((c, i) => add('hmacauth_credentials', c.id, `hmac-auth credential ${c.username} of consumer ${owner(c.consumer)}`, ['hmacauth_credentials', i], { ...c, consumer: owner(c.consumer) }));
  config.acls.forEach((c, i) => add('acls', c.id, `acl group ${c.group} of consumer ${owner(c.consumer)}`, ['acls', i], { ...c, consumer: owner(c.consumer) }));
  return out;
}

/**
 * `config.secrets`, made safe to use against the normalized Config:
 * - a route header name is lower-cased in Config but its secret path keeps the case as written;
 * - a service whose `url` came from a vault reference has only `host` listed, yet its path (a
 *   webhook token, say) and port came from the same secret: they count as secret too.
 */
/** The secret paths of a config (config.secrets: credentials, vault values, x-secret plugin fields). */
export function secretPaths(config: Config): Path[] {
  return config.secrets;
}

const cache = new WeakMap<Config, Path[]>();

/** True when `path` is, lies inside, or contains a secret of `config`. */
export function secretAt(config: Config, path: Path): boolean {
  let secrets = cache.get(config);
  if (secrets === undefined) cache.set(config, (secrets = secretPaths(config)));
  return secrets.some((s) => {
    const n = Math.min(s.length, path.length);
    for (let i = 0; i < n; i++) if (s[i] !== path[i]) return false;
    return true;
  });
}

/** An unresolved `{vault://...}` reference (`--offline`): its text is no secret, and compares as text. */
const isReference = (v: unknown): v is string => typeof v === 'string' && /^\{vault:\/\/[^}]*\}$/.test(v.trim());

const same = (a: unknown, b: unknown): boolean => {
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return a === b; // too deep to print: only the same value is the same
  }
};

function redacted(config: Config, v: View): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, { path, value }] of v.fields) out[field] = secretAt(config, [...v.base, ...path]) && !isReference(value) ? REDACTED : value;
  return out;
}

/** What changed from `a` (old) to `b` (new). Deterministic: kinds in ENTITY_KINDS order, then old file order, then added ones in new file order. */
export function diffConfigs(a: Config, b: Config): ConfigDiff {
  const va = views(a);
  const vb = views(b);
  const changes: EntityChange[] = [];
  for (const kind of ENTITY_KINDS) {
    const olds = va.get(kind) ?? [];
    const news = vb.get(kind) ?? [];
    const newByKey = new Map<string, View>();
    for (const v of news) if (!newByKey.has(v.key)) newByKey.set(v.key, v);
    const seen = new Set<string>();
    for (const o of olds) {
      if (seen.has(o.key)) continue;
      seen.add(o.key);
      const n = newByKey.get(o.key);
      if (n === undefined) {
        changes.push({ kind, key: o.key, label: o.label, change: 'removed', fields: [], entity: redacted(a, o) });
        continue;
      }
      const fields: FieldChange[] = [];
      const names = [...new Set([...o.fields.keys(), ...n.fields.keys()])].sort();
      for (const f of names) {
        const of = o.fields.get(f);
        const nf = n.fields.get(f);
        if (same(of?.value, nf?.value)) continue;
        const secret =
          !(isReference(of?.value) && isReference(nf?.value)) &&
          ((of !== undefined && secretAt(a, [...o.base, ...of.path])) || (nf !== undefined && secretAt(b, [...n.base, ...nf.path])));
        fields.push(secret ? { field: f, secret: true } : { field: f, secret: false, old: of?.value ?? null, new: nf?.value ?? null });
      }
      if (fields.length > 0) changes.push({ kind, key: o.key, label: n.label, change: 'changed', fields, entity: null });
    }
    for (const n of news) {
      if (seen.has(n.key)) continue;
      seen.add(n.key);
      changes.push({ kind, key: n.key, label: n.label, change: 'added', fields: [], entity: redacted(b, n) });
    }
  }
  const count = (c: EntityChange['change']): number => changes.filter((x) => x.change === c).length;
  return { changes, counts: { added: count('added'), removed: count('removed'), changed: count('changed') } };
}

/** Every secret string of `config` (3 characters or more), for a last scrub of printed text. */
export function secretValues(config: Config): string[] {
  const out = new Set<string>();
  const collect = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length >= 3 && !isReference(v)) out.add(v);
    } else if (Array.isArray(v)) v.forEach(collect);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(collect);
  };
  for (const p of secretPaths(config)) {
    let cur: unknown = config;
    for (const seg of p) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[seg] : undefined;
    collect(cur);
  }
  return [...out].sort((a, b) => b.length - a.length);
}
