import type { Config, Consumer, Route, Service } from '../../config/types.js';
import type { LogInfo } from '../types.js';
import { fromUpstream, requestSize, responseHeaders, startedAt, upstreamUri, type RequestLogView } from './log-view.js';

/**
 * Kong's JSON log format (the "basic" log serializer every Kong logging plugin sends):
 * request {method, uri, url, querystring, size, headers, id}, upstream_uri, upstream_status,
 * response {status, size, headers}, tries, latencies {request, kong, proxy, receive},
 * authenticated_entity, route, service, consumer, client_ip, started_at, source.
 * Credentials never leave the gateway: Authorization, Proxy-Authorization, Cookie, the API-key
 * headers of every key-auth plugin of the configuration, and Set-Cookie are "REDACTED".
 */
export type LogEntry = Record<string, unknown>;

const BASE_REDACT = ['authorization', 'proxy-authorization', 'cookie', 'apikey', 'x-api-key'];

/** Header names whose values are redacted in logs, for a configuration (its key-auth key names included). */
export function redactedHeaders(config: Config): Set<string> {
  const out = new Set(BASE_REDACT);
  for (const p of config.plugins) {
    if (p.name !== 'key-auth') continue;
    const names = (p.config as { key_names?: unknown }).key_names;
    if (Array.isArray(names)) for (const n of names) if (typeof n === 'string') out.add(n.toLowerCase());
  }
  return out;
}
const RESPONSE_REDACT: ReadonlySet<string> = new Set(['set-cookie']);

// Entities are serialized once per configuration object, not per request.
const routeJson = new WeakMap<Route, Record<string, unknown>>();
const serviceJson = new WeakMap<Service, Record<string, unknown>>();
const consumerJson = new WeakMap<Consumer, Record<string, unknown>>();

function routeEntity(r: Route): Record<string, unknown> {
  let j = routeJson.get(r);
  if (j === undefined) {
    j = {
      id: r.id, name: r.name, paths: r.paths, methods: r.methods.length ? r.methods : null, hosts: r.hosts.length ? r.hosts : null,
      protocols: r.protocols, strip_path: r.strip_path, preserve_host: r.preserve_host, regex_priority: r.regex_priority,
      path_handling: r.path_handling, https_redirect_status_code: r.https_redirect_status_code,
      request_buffering: r.request_buffering, response_buffering: r.response_buffering, tags: r.tags,
      service: r.service === null ? null : { id: r.service },
    };
    routeJson.set(r, j);
  }
  return j;
}

function serviceEntity(s: Service): Record<string, unknown> {
  let j = serviceJson.get(s);
  if (j === undefined) {
    j = {
      id: s.id, name: s.name, protocol: s.protocol, host: s.host, port: s.port, path: s.path, retries: s.retries,
      connect_timeout: s.connect_timeout, read_timeout: s.read_timeout, write_timeout: s.write_timeout, enabled: s.enabled, tags: s.tags,
    };
    serviceJson.set(s, j);
  }
  return j;
}

function consumerEntity(c: Consumer): Record<string, unknown> {
  let j = consumerJson.get(c);
  if (j === undefined) {
    j = { id: c.id, username: c.username, custom_id: c.custom_id };
    consumerJson.set(c, j);
  }
  return j;
}

function querystring(q: string): Record<string, string | string[] | true> {
  const out: Record<string, string | string[] | true> = {};
  if (q === '') return out;
  for (const part of q.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let k: string;
    let v: string | true;
    try {
      k = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      v = eq < 0 ? true : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      k = eq < 0 ? part : part.slice(0, eq);
      v = eq < 0 ? true : part.slice(eq + 1);
    }
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = Array.isArray(prev) ? [...prev, String(v)] : [String(prev), String(v)];
  }
  return out;
}

// One entry per request, shared by every logging plugin of the chain (LogInfo is per request).
const built = new WeakMap<LogInfo, LogEntry>();

/** The Kong-format log entry of a finished request (built once, shared by all log plugins). */
export function serialize(ctx: RequestLogView, info: LogInfo, redact: ReadonlySet<string>): LogEntry {
  const hit = built.get(info);
  if (hit !== undefined) return hit;
  const h = ctx.headers;
  const headers: Record<string, string> = {};
  for (const k in h) headers[k] = redact.has(k) ? 'REDACTED' : h[k]!;
  const path = ctx.url ?? ctx.path;
  const uri = ctx.query === '' ? path : path + '?' + ctx.query;
  const tls = ctx.state?.tls ?? false;
  const host = h.host ?? '';
  const upstream = fromUpstream(ctx, info);
  const total = Math.round(info.latencyMs);
  const proxy = upstream ? Math.round(info.upstreamLatencyMs) : -1;
  const kong = upstream ? Math.round(ctx.proxyLatency ?? 0) : total;
  const service = ctx.service;
  const entry: LogEntry = {
    request: {
      id: ctx.requestId,
      method: ctx.method,
      uri,
      url: (tls ? 'https://' : 'http://') + host + uri,
      querystring: querystring(ctx.query),
      size: requestSize(ctx),
      headers,
    },
    upstream_uri: upstreamUri(ctx),
    upstream_status: upstream ? info.status : undefined,
    response: { status: info.status, size: info.bytesSent, headers: responseHeaders(ctx, info, RESPONSE_REDACT) },
    tries: triesOf(ctx),
    latencies: { request: total, kong, proxy, receive: upstream ? Math.max(0, total - kong - proxy) : 0 },
    authenticated_entity: ctx.credentialId !== null ? { id: ctx.credentialId } : undefined,
    route: routeEntity(ctx.route),
    service: service === null ? undefined : serviceEntity(service),
    consumer: ctx.consumer === null ? undefined : consumerEntity(ctx.consumer),
    client_ip: ctx.clientIp,
    started_at: startedAt(ctx, info),
    source: upstream ? 'upstream' : 'kong',
  };
  built.set(info, entry);
  return entry;
}

/** Kong's `tries`: one `{ip, port}` per upstream attempt, the peer actually tried (oldest first). */
function triesOf(ctx: RequestLogView): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const last = ctx.target;
  if (last == null) return out;
  const earlier = ctx.earlierTargets;
  if (earlier != null) for (const p of earlier) out.push({ ip: p.host, port: p.port });
  out.push({ ip: last.host, port: last.port });
  return out;
}
