import { hash } from 'node:crypto';
import { formatPath, type JsonPath } from './issues.js';
import { isObj, items, pluginSites, type Obj, type PluginParent } from './walk.js';

/** A UUID (version-5 layout) from a name: the same entity in the same file gets the same id on every load. */
export function stableUuid(name: string): string {
  // One-shot hash: half the cost of createHash, which adds up over 10,000s of entities.
  const h = hash('sha1', `sluice:${name}`, 'buffer');
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export type CredentialKind = 'keyauth_credentials' | 'basicauth_credentials' | 'jwt_secrets' | 'hmacauth_credentials' | 'acls';
export const CREDENTIAL_KINDS: readonly CredentialKind[] = ['keyauth_credentials', 'basicauth_credentials', 'jwt_secrets', 'hmacauth_credentials', 'acls'];

export interface Entity {
  obj: Obj;
  path: JsonPath;
  id: string;
}
export interface RouteEntity extends Entity {
  /** The service it is nested in. */
  parent: Entity | null;
}
export interface CredentialEntity extends Entity {
  kind: CredentialKind;
  parent: Entity | null;
}
export interface PluginEntity extends Entity {
  parents: Array<{ kind: PluginParent; entity: Entity }>;
}
export interface TargetEntity extends Entity {
  parent: Entity | null;
}

/** Every entity of a validated document, flattened in file order, each with its id. */
export interface Entities {
  services: Entity[];
  /** Nested routes in order of appearance, then top-level routes (the order Kong loads them). */
  routes: RouteEntity[];
  consumers: Entity[];
  consumer_groups: Entity[];
  credentials: CredentialEntity[];
  plugins: PluginEntity[];
  upstreams: Entity[];
  targets: TargetEntity[];
  certificates: Entity[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function collectEntities(root: Obj): Entities {
  const idOf = (o: Obj, kind: string, natural: string): string => str(o.id) ?? stableUuid(`${kind}:${natural}`);
  const byPath = new Map<string, Entity>();
  const make = (o: Obj, path: JsonPath, kind: string, natural: string | undefined): Entity => {
    const e = { obj: o, path, id: idOf(o, kind, natural ?? `@${formatPath(path)}`) };
    byPath.set(formatPath(path), e);
    return e;
  };
  const out: Entities = { services: [], routes: [], consumers: [], consumer_groups: [], credentials: [], plugins: [], upstreams: [], targets: [], certificates: [] };

  for (const [s, sp] of items(root, 'services', [])) {
    const svc = make(s, sp, 'service', str(s.name));
    out.services.push(svc);
    for (const [r, rp] of items(s, 'routes', sp)) {
      out.routes.push({ ...make(r, rp, 'route', str(r.name) ?? `${svc.id}/${String(rp[rp.length - 1])}`), parent: svc });
    }
  }
  for (const [r, rp] of items(root, 'routes', [])) out.routes.push({ ...make(r, rp, 'route', str(r.name)), parent: null });

  for (const [c, cp] of items(root, 'consumers', [])) {
    const natural = str(c.username) !== undefined ? `u:${str(c.username)}` : str(c.custom_id) !== undefined ? `c:${str(c.custom_id)}` : undefined;
    const consumer = make(c, cp, 'consumer', natural);
    out.consumers.push(consumer);
    for (const kind of CREDENTIAL_KINDS) {
      for (const [o, p] of items(c, kind, cp)) out.credentials.push({ ...make(o, p, kind, credentialNatural(kind, o, consumer.id, p)), kind, parent: consumer });
    }
  }
  for (const kind of CREDENTIAL_KINDS) {
    for (const [o, p] of items(root, kind, [])) out.credentials.push({ ...make(o, p, kind, credentialNatural(kind, o, refText(o.consumer), p)), kind, parent: null });
  }
  for (const [g, gp] of items(root, 'consumer_groups', [])) out.consumer_groups.push(make(g, gp, 'consumer_group', str(g.name)));

  for (const [u, up] of items(root, 'upstreams', [])) {
    const ups = make(u, up, 'upstream', str(u.name));
    out.upstreams.push(ups);
    for (const [t, tp] of items(u, 'targets', up)) out.targets.push({ ...make(t, tp, 'target', `${ups.id}/${String(t.target)}`), parent: ups });
  }
  for (const [t, tp] of items(root, 'targets', [])) out.targets.push({ ...make(t, tp, 'target', `${refText(t.upstream)}/${String(t.target)}`), parent: null });

  for (const [c, cp] of items(root, 'certificates', [])) {
    const first = Array.isArray(c.snis) ? c.snis[0] : undefined;
    const sni = typeof first === 'string' ? first : isObj(first) ? str(first.name) : undefined;
    out.certificates.push(make(c, cp, 'certificate', sni));
  }

  for (const site of pluginSites(root)) {
    const parents = site.parents.map((p) => ({ kind: p.kind, entity: byPath.get(formatPath(p.path))! }));
    const scope = [
      ...parents.map((p) => `${p.kind}=${p.entity.id}`),
      ...(['service', 'route', 'consumer', 'consumer_group'] as const).filter((k) => site.plugin[k] !== undefined).map((k) => `${k}=${refText(site.plugin[k])}`),
    ].join(',');
    out.plugins.push({ ...make(site.plugin, site.path, 'plugin', `${String(site.plugin.name)}|${scope}|${str(site.plugin.instance_name) ?? ''}`), parents });
  }
  return out;
}

function credentialNatural(kind: CredentialKind, o: Obj, consumer: string, path: JsonPath): string {
  // Never derive an id from a secret value: use the public part, or the position.
  if (kind === 'acls') return `${consumer}/${String(o.group)}`;
  if (kind === 'basicauth_credentials' || kind === 'hmacauth_credentials') return `${String(o.username)}`;
  if (kind === 'jwt_secrets' && typeof o.key === 'string') return o.key;
  return `${consumer}@${formatPath(path)}`;
}

/** A reference as written (`name`, `{name: x}`, `{id: x}`), as text for ids and messages. */
export function refText(ref: unknown): string {
  if (typeof ref === 'string') return ref;
  if (isObj(ref)) {
    const v = ref.id ?? ref.name ?? ref.username;
    return typeof v === 'string' ? v : JSON.stringify(ref);
  }
  return String(ref);
}
