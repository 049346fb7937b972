import { createHash } from 'node:crypto';
import type {
  AclEntry, BasicAuthCredential, Certificate, Config, Consumer, ConsumerGroup, Diagnostic, HmacAuthCredential, JwtSecret,
  KeyAuthCredential, PluginInstance, Route, RouteProtocol, Service, ServiceProtocol, SourcePos, Target, Upstream,
} from './types.js';
import type { Entities, Entity } from './entities.js';
import { formatPath, type JsonPath } from './issues.js';
import { pluginScope, type Lookup } from './references.js';
import { parseServiceUrl } from './validate.js';
import { serviceTls, upstreamClientCertificate } from './service-tls.js';
import { isObj, type Obj } from './walk.js';

export interface NormalizeInput {
  root: Obj;
  ents: Entities;
  lookup: Lookup;
  source: string;
  posOf: (path: JsonPath) => SourcePos;
  /** Document paths of vault-resolved values and x-secret plugin fields. */
  secretDocPaths: JsonPath[];
  referencedFiles: string[];
  warnings: Diagnostic[];
}

const ROUTE_PROTOCOLS: readonly RouteProtocol[] = ['http', 'https', 'ws', 'wss'];
const DEFAULT_PORT: Record<ServiceProtocol, number> = { http: 80, https: 443, ws: 80, wss: 443 };

const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const n = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
const b = (v: unknown, d: boolean): boolean => (typeof v === 'boolean' ? v : d);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const tagsOf = (o: Obj): string[] => strs(o.tags);

/**
 * Flattens a validated, reference-checked document into `Config`: ids everywhere, references
 * resolved to ids, defaults filled, url split, names normalized, secrets listed, hash computed.
 */
export function normalize(input: NormalizeInput): Config {
  const { ents, lookup, posOf } = input;
  const secrets: JsonPath[] = [];
  /** Entity document path → its place in Config, to translate secret paths. */
  const placed = new Map<string, JsonPath>();
  const place = (e: Entity, collection: string, index: number): void => void placed.set(formatPath(e.path), [collection, index]);

  const services: Service[] = ents.services.map((e, i) => {
    place(e, 'services', i);
    const urlRef = typeof e.obj.url === 'string' && e.obj.url.startsWith('{vault://') ? e.obj.url : undefined;
    if (urlRef !== undefined) for (const f of ['protocol', 'host', 'port', 'path']) secrets.push(['services', i, f]);
    return { id: e.id, name: s(e.obj.name), ...serviceAddress(e.obj), ...(urlRef === undefined ? {} : { url_reference: urlRef }), connect_timeout: n(e.obj.connect_timeout, 60000), read_timeout: n(e.obj.read_timeout, 60000), write_timeout: n(e.obj.write_timeout, 60000), retries: n(e.obj.retries, 5), enabled: b(e.obj.enabled, true), tls: serviceTls(input.root, e), tags: tagsOf(e.obj), pos: posOf(e.path) };
  });

  const routes: Route[] = ents.routes.map((e, i) => {
    place(e, 'routes', i);
    const o = e.obj;
    const headers: Record<string, string[]> = {};
    if (isObj(o.headers)) for (const [k, v] of Object.entries(o.headers)) headers[k.toLowerCase()] = [...(headers[k.toLowerCase()] ?? []), ...(typeof v === 'string' ? [v] : strs(v))];
    const service = e.parent?.id ?? (o.service !== undefined ? (lookup.find('service', o.service)?.id ?? null) : null);
    return {
      id: e.id, name: s(o.name), service, paths: strs(o.paths), methods: strs(o.methods).map((m) => m.toUpperCase()),
      hosts: strs(o.hosts).map((h) => h.toLowerCase()), headers, snis: strs(o.snis).map((x) => x.toLowerCase()),
      protocols: strs(o.protocols).filter((p): p is RouteProtocol => (ROUTE_PROTOCOLS as string[]).includes(p)),
      strip_path: b(o.strip_path, true), preserve_host: b(o.preserve_host, false), regex_priority: n(o.regex_priority, 0),
      path_handling: o.path_handling === 'v1' ? 'v1' : 'v0', https_redirect_status_code: n(o.https_redirect_status_code, 426),
      request_buffering: b(o.request_buffering, true), response_buffering: b(o.response_buffering, true), tags: tagsOf(o), order: i, pos: posOf(e.path),
    };
  });

  const groupName = (ref: unknown): string | null => s(lookup.find('consumer_group', ref)?.obj.name);
  const consumers: Consumer[] = ents.consumers.map((e, i) => {
    place(e, 'consumers', i);
    const groups = Array.isArray(e.obj.groups) ? e.obj.groups.map(groupName).filter((g): g is string => g !== null) : [];
    return { id: e.id, username: s(e.obj.username), custom_id: s(e.obj.custom_id), groups, tags: tagsOf(e.obj), pos: posOf(e.path) };
  });
  const consumer_groups: ConsumerGroup[] = ents.consumer_groups.map((e, i) => {
    place(e, 'consumer_groups', i);
    return { id: e.id, name: String(e.obj.name), tags: tagsOf(e.obj), pos: posOf(e.path) };
  });

  const keyauth_credentials: KeyAuthCredential[] = [];
  const basicauth_credentials: BasicAuthCredential[] = [];
  const jwt_secrets: JwtSecret[] = [];
  const hmacauth_credentials: HmacAuthCredential[] = [];
  const acls: AclEntry[] = [];
  for (const c of ents.credentials) {
    const base = { id: c.id, consumer: c.parent?.id ?? lookup.find('consumer', c.obj.consumer)?.id ?? '', tags: tagsOf(c.obj), pos: posOf(c.path) };
    const o = c.obj;
    switch (c.kind) {
      case 'keyauth_credentials':
        place(c, c.kind, keyauth_credentials.length);
        secrets.push([c.kind, keyauth_credentials.length, 'key']);
        keyauth_credentials.push({ ...base, key: String(o.key) });
        break;
      case 'basicauth_credentials':
        place(c, c.kind, basicauth_credentials.length);
        secrets.push([c.kind, basicauth_credentials.length, 'password']);
        basicauth_credentials.push({ ...base, username: String(o.username), password: String(o.password) });
        break;
      case 'jwt_secrets':
        place(c, c.kind, jwt_secrets.length);
        if (typeof o.secret === 'string') secrets.push([c.kind, jwt_secrets.length, 'secret']);
        // Kong generates a random key when none is given; a stable one (the id) keeps reloads stable.
        jwt_secrets.push({ ...base, key: s(o.key) ?? c.id, secret: s(o.secret), algorithm: s(o.algorithm) ?? 'HS256', rsa_public_key: s(o.rsa_public_key) });
        break;
      case 'hmacauth_credentials':
        place(c, c.kind, hmacauth_credentials.length);
        secrets.push([c.kind, hmacauth_credentials.length, 'secret']);
        hmacauth_credentials.push({ ...base, username: String(o.username), secret: String(o.secret) });
        break;
      case 'acls':
        place(c, c.kind, acls.length);
        acls.push({ ...base, group: String(o.group) });
        break;
    }
  }

  const plugins: PluginInstance[] = ents.plugins.map((e, i) => {
    place(e, 'plugins', i);
    const o = e.obj;
    const protocols = Array.isArray(o.protocols) ? strs(o.protocols).filter((p): p is RouteProtocol => (ROUTE_PROTOCOLS as string[]).includes(p)) : [...ROUTE_PROTOCOLS];
    return { id: e.id, name: String(o.name), enabled: b(o.enabled, true), config: isObj(o.config) ? o.config : {}, ...pluginScope(e, lookup), protocols, tags: tagsOf(o), order: i, pos: posOf(e.path) };
  });

  const upstreams: Upstream[] = ents.upstreams.map((e, i) => {
    place(e, 'upstreams', i);
    const o = e.obj;
    return {
      id: e.id, name: String(o.name), algorithm: (s(o.algorithm) ?? 'round-robin') as Upstream['algorithm'],
      hash_on: (s(o.hash_on) ?? 'none') as Upstream['hash_on'], hash_fallback: (s(o.hash_fallback) ?? 'none') as Upstream['hash_fallback'],
      // Only one of hash_on / hash_fallback can be `header`: its header name is the one to read.
      hash_on_header: (o.hash_on !== 'header' && o.hash_fallback === 'header' ? s(o.hash_fallback_header) : s(o.hash_on_header))?.toLowerCase() ?? null,
      hash_on_cookie: s(o.hash_on_cookie), hash_on_cookie_path: s(o.hash_on_cookie_path) ?? '/',
      slots: n(o.slots, 10000), host_header: s(o.host_header), client_certificate: upstreamClientCertificate(o.client_certificate),
      healthchecks: healthchecks(o.healthchecks), targets: [], tags: tagsOf(o), pos: posOf(e.path),
    };
  });
  const upstreamById = new Map(upstreams.map((u) => [u.id, u]));
  ents.targets.forEach((e) => {
    const ups = upstreamById.get(e.parent?.id ?? lookup.find('upstream', e.obj.upstream)?.id ?? '');
    if (!ups) return;
    const { host, port } = splitTarget(String(e.obj.target));
    const target: Target = { id: e.id, target: `${host.includes(':') ? `[${host}]` : host}:${port}`, host, port, weight: n(e.obj.weight, 100), tags: tagsOf(e.obj), pos: posOf(e.path) };
    placed.set(formatPath(e.path), ['upstreams', upstreams.indexOf(ups), 'targets', ups.targets.length]);
    ups.targets.push(target);
  });

  const certificates: Certificate[] = ents.certificates.map((e, i) => {
    place(e, 'certificates', i);
    secrets.push(['certificates', i, 'key']);
    const snis = Array.isArray(e.obj.snis) ? e.obj.snis.map((x) => (typeof x === 'string' ? x : isObj(x) ? String(x.name) : '')).filter((x) => x !== '').map((x) => x.toLowerCase()) : [];
    return { id: e.id, cert: String(e.obj.cert), key: String(e.obj.key), snis, tags: tagsOf(e.obj), pos: posOf(e.path) };
  });

  // Vault-resolved values and x-secret plugin fields: translate document paths to Config paths.
  for (const docPath of input.secretDocPaths) {
    for (let cut = docPath.length - 1; cut >= 1; cut--) {
      const at = placed.get(formatPath(docPath.slice(0, cut)));
      if (!at) continue;
      const rest = docPath.slice(cut);
      if (at[0] === 'services' && rest[0] === 'url') {
        // Every part of a secret URL is secret (a path or port can carry a token too).
        for (const f of ['protocol', 'host', 'port', 'path']) secrets.push([...at, f]);
      } else if (at[0] === 'routes' && rest[0] === 'headers' && typeof rest[1] === 'string') {
        // Route header names are lower-cased in Config; duplicate spellings merge, so mark them all.
        secrets.push([...at, 'headers', rest[1].toLowerCase()]);
      } else {
        secrets.push([...at, ...rest]);
      }
      break;
    }
  }
  const uniqueSecrets = [...new Map(secrets.map((p) => [JSON.stringify(p), p])).values()];

  const config: Config = {
    format_version: '3.0', source: input.source, hash: '', services, routes, consumers, consumer_groups,
    keyauth_credentials, basicauth_credentials, jwt_secrets, hmacauth_credentials, acls, plugins, upstreams, certificates,
    secrets: uniqueSecrets, referenced_files: [...input.referencedFiles], warnings: input.warnings,
  };
  config.hash = configHash(config);
  return config;
}

/**
 * sha256 of what the configuration means: every entity (secrets included) but not where it was
 * written (`pos`), nor `source`, `warnings`, `referenced_files`. Reformatting the file keeps the hash.
 */
export function configHash(config: Config): string {
  const { hash: _h, source: _s, warnings: _w, referenced_files: _r, ...rest } = config;
  // Entities copied without `pos`: JSON.stringify with a replacer function is slower (~30%).
  const hashed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) hashed[key] = Array.isArray(value) ? value.map(withoutPos) : value;
  return createHash('sha256').update(JSON.stringify(hashed)).digest('hex');
}

function withoutPos(e: unknown): unknown {
  if (!isObj(e) || !('pos' in e)) return e;
  const { pos: _p, ...rest } = e;
  if (Array.isArray(rest.targets)) rest.targets = rest.targets.map(withoutPos);
  return rest;
}

/** `url` (which wins, as Kong's shorthand) or protocol/host/port/path; default ports 80 (http, ws) and 443 (https, wss). */
function serviceAddress(o: Obj): Pick<Service, 'protocol' | 'host' | 'port' | 'path'> {
  // An unresolved reference (`--offline`): placeholders that compile; the fields are listed as
  // secret (shown <redacted>) and the reference is kept in url_reference.
  if (typeof o.url === 'string' && o.url.startsWith('{vault://')) return { protocol: 'http', host: 'vault-reference.invalid', port: 80, path: null };
  const url = typeof o.url === 'string' ? parseServiceUrl(o.url) : undefined;
  if (url !== undefined && typeof url !== 'string') return { ...url, path: url.path ?? s(o.path) };
  const protocol = (s(o.protocol) ?? 'http') as ServiceProtocol;
  return { protocol, host: String(o.host).toLowerCase(), port: n(o.port, DEFAULT_PORT[protocol] ?? 80), path: s(o.path) };
}

/** `host:port`, `[v6]:port`, bare host or IPv6 (port 8000, as Kong). */
export function splitTarget(t: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : 8000 };
  const m = /^([^:]+):(\d+)$/.exec(t);
  if (m) return { host: m[1]!.toLowerCase(), port: Number(m[2]) };
  return { host: t.toLowerCase(), port: 8000 };
}

function healthchecks(v: unknown): Upstream['healthchecks'] {
  const h = isObj(v) ? v : {};
  const a = isObj(h.active) ? h.active : {};
  const p = isObj(h.passive) ? h.passive : {};
  const ah = isObj(a.healthy) ? a.healthy : {};
  const au = isObj(a.unhealthy) ? a.unhealthy : {};
  const ph = isObj(p.healthy) ? p.healthy : {};
  const pu = isObj(p.unhealthy) ? p.unhealthy : {};
  const nums = (x: unknown, d: number[]): number[] => (Array.isArray(x) ? x.filter((y): y is number => typeof y === 'number') : d);
  const type = (x: unknown): 'http' | 'https' => (x === 'https' ? 'https' : 'http');
  return {
    active: {
      type: type(a.type), http_path: s(a.http_path) ?? '/', timeout: n(a.timeout, 1), concurrency: n(a.concurrency, 10),
      https_verify_certificate: b(a.https_verify_certificate, true), https_sni: s(a.https_sni),
      headers: isObj(a.headers) ? Object.fromEntries(Object.entries(a.headers).map(([k, v]) => [k.toLowerCase(), strs(v)])) : {},
      healthy: { interval: n(ah.interval, 0), successes: n(ah.successes, 0), http_statuses: nums(ah.http_statuses, [200, 302]) },
      unhealthy: { interval: n(au.interval, 0), http_failures: n(au.http_failures, 0), tcp_failures: n(au.tcp_failures, 0), timeouts: n(au.timeouts, 0), http_statuses: nums(au.http_statuses, [429, 404, 500, 501, 502, 503, 504, 505]) },
    },
    passive: {
      type: type(p.type),
      healthy: { successes: n(ph.successes, 0), http_statuses: nums(ph.http_statuses, [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308]) },
      unhealthy: { http_failures: n(pu.http_failures, 0), tcp_failures: n(pu.tcp_failures, 0), timeouts: n(pu.timeouts, 0), http_statuses: nums(pu.http_statuses, [429, 500, 503]) },
    },
    threshold: n(h.threshold, 0),
  };
}
