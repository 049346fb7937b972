import { checkRouteHeaderValue, checkRoutePath } from '../router/paths.js';
import { refText, type Entities, type Entity } from './entities.js';
import { err, formatPath, type Issue, type JsonPath } from './issues.js';
import { didYouMean } from './suggest.js';
import { isObj, type Obj } from './walk.js';

export type RefKind = 'service' | 'route' | 'consumer' | 'consumer_group' | 'upstream';

/** Finds entities by what a reference may say: a name (username for consumers) or an id. */
export class Lookup {
  private readonly maps = new Map<RefKind, { byName: Map<string, Entity>; byId: Map<string, Entity> }>();

  constructor(ents: Entities) {
    const add = (kind: RefKind, list: Entity[], nameKey: string): void => {
      const byName = new Map<string, Entity>();
      const byId = new Map<string, Entity>();
      for (const e of list) {
        const n = e.obj[nameKey];
        if (typeof n === 'string' && !byName.has(n)) byName.set(n, e);
        if (!byId.has(e.id)) byId.set(e.id, e);
      }
      this.maps.set(kind, { byName, byId });
    };
    add('service', ents.services, 'name');
    add('route', ents.routes, 'name');
    add('consumer', ents.consumers, 'username');
    add('consumer_group', ents.consumer_groups, 'name');
    add('upstream', ents.upstreams, 'name');
  }

  /** The names a reference of this kind may use (for "did you mean"). */
  names(kind: RefKind): IterableIterator<string> {
    return this.maps.get(kind)!.byName.keys();
  }

  find(kind: RefKind, ref: unknown): Entity | undefined {
    const m = this.maps.get(kind)!;
    if (typeof ref === 'string') return m.byName.get(ref) ?? m.byId.get(ref);
    if (isObj(ref)) {
      if (typeof ref.id === 'string') return m.byId.get(ref.id);
      const n = ref.name ?? ref.username;
      if (typeof n === 'string') return m.byName.get(n);
    }
    return undefined;
  }
}

/** A well-formed bcrypt hash: `$2a$`, `$2b$` or `$2y$`, a two-digit cost, 22 characters of salt and 31 of hash. */
export const BCRYPT = /^\$2[aby]\$(?:0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;

const KIND_TEXT: Record<RefKind, string> = { service: 'service', route: 'route', consumer: 'consumer', consumer_group: 'consumer group', upstream: 'upstream' };

/** The scope of a plugin as ids (nested position plus explicit references); undefined when a reference dangles. */
export function pluginScope(p: Entities['plugins'][number], lookup: Lookup): Record<'service' | 'route' | 'consumer' | 'consumer_group', string | null> {
  const scope: Record<'service' | 'route' | 'consumer' | 'consumer_group', string | null> = { service: null, route: null, consumer: null, consumer_group: null };
  const nearest = p.parents[p.parents.length - 1];
  if (nearest) scope[nearest.kind] = nearest.entity.id;
  for (const k of ['service', 'route', 'consumer', 'consumer_group'] as const) {
    if (p.obj[k] !== undefined) scope[k] = lookup.find(k, p.obj[k])?.id ?? null;
  }
  return scope;
}

/**
 * Cross-entity rules: unique names and ids, references that resolve, unique credentials, one
 * plugin of a name per scope, and route paths/header values the router can compile safely.
 */
export function checkReferences(ents: Entities, lookup: Lookup): Issue[] {
  const issues: Issue[] = [];

  const unique = (list: Entity[], key: (e: Entity) => unknown, field: string, what: string, show = true): void => {
    const seen = new Map<string, Entity>();
    for (const e of list) {
      const v = key(e);
      if (typeof v !== 'string') continue;
      const first = seen.get(v);
      if (first) {
        const shown = show ? ` "${v}"` : '';
        issues.push(err([...e.path, field], `${formatPath([...e.path, field])}: duplicate ${what}${shown} (already used by ${formatPath(first.path)})`));
      } else seen.set(v, e);
    }
  };
  const ids = (list: Entity[], what: string): void =>
    unique(list.filter((e) => typeof e.obj.id === 'string'), (e) => e.obj.id, 'id', `${what} id`);

  unique(ents.services, (e) => e.obj.name, 'name', 'service name');
  unique(ents.routes, (e) => e.obj.name, 'name', 'route name');
  unique(ents.consumers, (e) => e.obj.username, 'username', 'consumer username');
  unique(ents.consumers, (e) => e.obj.custom_id, 'custom_id', 'consumer custom_id');
  unique(ents.consumer_groups, (e) => e.obj.name, 'name', 'consumer group name');
  unique(ents.upstreams, (e) => e.obj.name, 'name', 'upstream name');
  for (const [list, what] of [
    [ents.services, 'service'], [ents.routes, 'route'], [ents.consumers, 'consumer'], [ents.consumer_groups, 'consumer group'],
    [ents.upstreams, 'upstream'], [ents.targets, 'target'], [ents.certificates, 'certificate'], [ents.plugins, 'plugin'], [ents.credentials, 'credential'],
  ] as Array<[Entity[], string]>) ids(list, what);

  const check = (kind: RefKind, ref: unknown, path: JsonPath): Entity | undefined => {
    if (ref === undefined) return undefined;
    const found = lookup.find(kind, ref);
    if (!found) issues.push(err(path, `${formatPath(path)} refers to unknown ${KIND_TEXT[kind]} "${refText(ref)}"${didYouMean(refText(ref), lookup.names(kind))}`));
    return found;
  };

  // Routes: service, match attributes, paths, header values.
  for (const r of ents.routes) {
    check('service', r.obj.service, [...r.path, 'service']);
    const has = ['methods', 'hosts', 'headers', 'paths', 'snis'].some((k) => {
      const v = r.obj[k];
      if (v === undefined) return false;
      return Array.isArray(v) ? v.length > 0 : isObj(v) ? Object.keys(v).length > 0 : true; // a wrong type was reported by the schema
    });
    if (!has) issues.push(err(r.path, `${formatPath(r.path)} must set at least one of paths, methods, hosts, headers, snis`));
    // Kong refuses the stream-route fields on http(s) routes; ignoring them would fail open
    for (const k of ['sources', 'destinations']) {
      const v = r.obj[k];
      if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))
        issues.push(err([...r.path, k], `${formatPath([...r.path, k])}: ${k} is a tcp/tls stream-route field; Kong refuses it on http(s) routes, and so does Sluice (it would match every client). Remove it; to restrict clients use the ip-restriction plugin`));
    }
    if (Array.isArray(r.obj.paths)) {
      r.obj.paths.forEach((p, i) => {
        if (typeof p !== 'string' || !/^[/~]/.test(p)) return; // the schema reported it
        const problem = checkRoutePath(p);
        if (problem !== null) issues.push(err([...r.path, 'paths', i], `${formatPath([...r.path, 'paths', i])}: ${problem}`));
      });
    }
    if (isObj(r.obj.headers)) {
      for (const [name, values] of Object.entries(r.obj.headers)) {
        const list = Array.isArray(values) ? values : [values];
        list.forEach((v, i) => {
          if (typeof v !== 'string') return;
          const problem = checkRouteHeaderValue(v);
          const path = Array.isArray(values) ? [...r.path, 'headers', name, i] : [...r.path, 'headers', name];
          if (problem !== null) issues.push(err(path, `${formatPath(path)}: ${problem}`));
        });
      }
    }
  }

  // Consumers: groups.
  for (const c of ents.consumers) {
    if (Array.isArray(c.obj.groups)) c.obj.groups.forEach((g, i) => check('consumer_group', g, [...c.path, 'groups', i]));
  }

  // Credentials: consumer, uniqueness, jwt keys.
  for (const cr of ents.credentials) if (!cr.parent) check('consumer', cr.obj.consumer, [...cr.path, 'consumer']);
  const creds = (kind: string): Entity[] => ents.credentials.filter((c) => c.kind === kind);
  unique(creds('keyauth_credentials'), (e) => e.obj.key, 'key', 'key-auth key', false);
  unique(creds('basicauth_credentials'), (e) => e.obj.username, 'username', 'basic-auth username');
  unique(creds('jwt_secrets'), (e) => e.obj.key, 'key', 'jwt key');
  unique(creds('hmacauth_credentials'), (e) => e.obj.username, 'username', 'hmac-auth username');
  // A password that looks like bcrypt but is not a hash would be compared as plaintext: the
  // README's old "$2b$10$..." placeholder validated and then worked as the password "$2b$10$...".
  for (const b of creds('basicauth_credentials')) {
    const pw = b.obj.password;
    if (typeof pw === 'string' && /^\$2[aby]\$/.test(pw) && !BCRYPT.test(pw)) {
      const path = [...b.path, 'password'];
      issues.push(err(path, `${formatPath(path)} looks like a bcrypt hash (${pw.slice(0, 4)}) but is not a well-formed one: expected ${pw.slice(0, 4)}NN$ and 53 characters of [./A-Za-z0-9] (cost NN 04 to 31); a plaintext password cannot start with $2a$, $2b$ or $2y$`));
    }
  }
  for (const j of creds('jwt_secrets')) {
    const alg = typeof j.obj.algorithm === 'string' ? j.obj.algorithm : 'HS256';
    if (!alg.startsWith('HS') && typeof j.obj.rsa_public_key !== 'string') {
      issues.push(err(j.path, `${formatPath(j.path)} must set rsa_public_key for algorithm ${alg}`));
    }
    if (alg.startsWith('HS') && typeof j.obj.secret !== 'string') {
      issues.push(err(j.path, `${formatPath(j.path)} must set secret for algorithm ${alg}`));
    }
  }

  // Plugins: scope references, one per name and scope.
  const seenPlugins = new Map<string, Entity>();
  for (const p of ents.plugins) {
    for (const k of ['service', 'route', 'consumer', 'consumer_group'] as const) check(k, p.obj[k], [...p.path, k]);
    const scope = pluginScope(p, lookup);
    const key = `${String(p.obj.name)}|${scope.service}|${scope.route}|${scope.consumer}|${scope.consumer_group}|${String(p.obj.instance_name ?? '')}`;
    const first = seenPlugins.get(key);
    if (first) {
      issues.push(err(p.path, `${formatPath(p.path)}: plugin ${String(p.obj.name)} is already configured for the same scope at ${formatPath(first.path)}`));
    } else seenPlugins.set(key, p);
  }

  // Targets: upstream, unique per upstream.
  const seenTargets = new Map<string, Entity>();
  for (const t of ents.targets) {
    const ups = t.parent ?? check('upstream', t.obj.upstream, [...t.path, 'upstream']);
    if (!ups || typeof t.obj.target !== 'string') continue;
    const key = `${ups.id}|${t.obj.target}`;
    const first = seenTargets.get(key);
    if (first) issues.push(err([...t.path, 'target'], `${formatPath([...t.path, 'target'])}: duplicate target "${t.obj.target}" (already in ${formatPath(first.path)})`));
    else seenTargets.set(key, t);
  }

  // Certificates: an SNI belongs to one certificate.
  const seenSnis = new Map<string, JsonPath>();
  for (const c of ents.certificates) {
    if (!Array.isArray(c.obj.snis)) continue;
    c.obj.snis.forEach((s, i) => {
      const name = typeof s === 'string' ? s : isObj(s) && typeof s.name === 'string' ? s.name : undefined;
      if (name === undefined) return;
      const path = [...c.path, 'snis', i];
      const first = seenSnis.get(name.toLowerCase());
      if (first) issues.push(err(path, `${formatPath(path)}: duplicate SNI "${name}" (already in ${formatPath(first)})`));
      else seenSnis.set(name.toLowerCase(), path);
    });
  }
  return issues;
}

export type { Obj };
