/**
 * A small in-process harness for plugin authors (and the bundled plugins' own unit tests): runs a
 * plugin's phases against a fake request and, unless the plugin answers itself, a fake upstream
 * response, without a gateway, a socket or a configuration file.
 *
 *   const r = await runPlugin(myPlugin, { value: 'x' }, { path: '/a', headers: { host: 'h' } });
 *   expect(r.upstream.headers['x-added']).toBe('x');
 *
 * Works for native definitions and for Kong-format modules (`kongPlugin(module)` turns one into a
 * definition). The config is validated against the plugin's schema with defaults filled in, as
 * the gateway does; an invalid config throws with the schema's messages.
 */
import type { Config, Consumer, PluginInstance, Route, Service } from '../config/types.js';
import { compileSchema } from '../config/validators.js';
import { consumerIndex } from './chain.js';
import { kongDefinition, type KongModule } from './kong-pdk/adapter.js';
import type { LogInfo, PluginContext, PluginCreateContext, PluginDefinition, PluginResponse, RequestBodyCapability } from './types.js';

export interface FakeRequest {
  method?: string;
  /** Path, optionally with `?query`. */
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  clientIp?: string;
  consumers?: Consumer[];
  /** Upstream names `setUpstream` accepts (any name when absent). */
  upstreams?: string[];
}

export interface FakeUpstreamResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface HarnessResult {
  /** The plugin's own answer from access (kong.response.exit, auth failure...), or null when it let the request through. */
  answered: PluginResponse | null;
  /** What would go upstream (when not answered). */
  upstream: { method: string; path: string; query: string; headers: Record<string, string>; body: Buffer | null; target: UpstreamTarget | null };
  /** The response the client would get. */
  response: { status: number; headers: Record<string, string>; body: Buffer };
  consumer: Consumer | null;
}

/** Where a plugin sent the request instead of the service's host (setUpstream / setTarget; kong.service.set_upstream / set_target). */
export type UpstreamTarget = { upstream: string } | { host: string; port: number };

/** A Kong-format module (kong-js-pdk) as a plugin definition, named `name`. */
export function kongPlugin(name: string, mod: KongModule): PluginDefinition {
  return kongDefinition(name, mod, `<${name}>`);
}

const route: Route = {
  id: 'route-1', name: 'test-route', service: 'service-1', paths: ['/'], methods: [], hosts: [], headers: {}, snis: [], protocols: ['http', 'https'],
  strip_path: true, preserve_host: false, regex_priority: 0, path_handling: 'v0', https_redirect_status_code: 426, request_buffering: true,
  response_buffering: true, tags: [], order: 0, pos: { line: 1, column: 1 },
} as unknown as Route;

class FakeContext implements PluginContext {
  method: string;
  path: string;
  query: string;
  clientIp: string;
  requestId = 'harness-request';
  route = route;
  service: Service | null = { id: 'service-1', name: 'test-service' } as unknown as Service;
  params = null;
  consumer: Consumer | null = null;
  credentialId: string | null = null;
  requestBody: Buffer | null;
  upstreamHeaders: Record<string, string>;
  upstreamMethod: string;
  upstreamPath: string;
  upstreamQuery: string;
  added: Array<[string, string]> = [];
  removed = new Set<string>();
  originHeaders: Record<string, string> = {};
  status = 200;
  errorMessage: string | null = null;
  hideConsumerGroups = false;
  authenticatedGroups: readonly string[] | null = null;
  target: UpstreamTarget | null = null;
  constructor(private readonly req: FakeRequest) {
    const [p, q] = (req.path ?? '/').split('?', 2) as [string, string | undefined];
    this.method = (req.method ?? 'GET').toUpperCase();
    this.path = p;
    this.query = q ?? '';
    this.clientIp = req.clientIp ?? '127.0.0.1';
    this.headers = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    this.requestBody = req.body === undefined ? null : Buffer.from(req.body);
    this.upstreamHeaders = { ...this.headers };
    this.upstreamMethod = this.method;
    this.upstreamPath = this.path;
    this.upstreamQuery = this.query;
  }
  readonly headers: Record<string, string>;
  header(lower: string): string | undefined {
    return this.headers[lower];
  }
  authenticate(consumer: Consumer, credentialId: string | null): void {
    this.consumer = consumer;
    this.credentialId = credentialId;
  }
  setUpstreamHeader(name: string, value: string | null): void {
    if (value === null) delete this.upstreamHeaders[name.toLowerCase()];
    else this.upstreamHeaders[name.toLowerCase()] = value;
  }
  setUpstreamQuery(query: string): void {
    this.upstreamQuery = query;
  }
  setUpstreamMethod(method: string): void {
    this.upstreamMethod = method;
  }
  setUpstreamPath(path: string): void {
    this.upstreamPath = path;
  }
  setRequestBody(body: Buffer): void {
    this.requestBody = body;
  }
  addResponseHeader(name: string, value: string): void {
    this.added.push([name, value]);
  }
  removeResponseHeader(name: string): void {
    const lower = name.toLowerCase();
    this.removed.add(lower);
    this.added = this.added.filter(([k]) => k.toLowerCase() !== lower);
  }
  getResponseHeader(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (let i = this.added.length - 1; i >= 0; i--) if (this.added[i]![0].toLowerCase() === lower) return this.added[i]![1];
    return this.removed.has(lower) ? undefined : this.originHeaders[lower];
  }
  upstreamResponseHeaders(): string[] {
    return Object.entries(this.originHeaders).flat();
  }
  setResponseStatus(status: number): void {
    this.status = status;
  }
  limitRequestBody(): void {}
  setUpstream(name: string): void {
    if (this.req.upstreams !== undefined && !this.req.upstreams.includes(name)) throw new Error(`could not find an Upstream named '${name}'`);
    this.target = { upstream: name };
  }
  setTarget(host: string, port: number): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`setTarget: port must be an integer between 1 and 65535: given ${String(port)}`);
    this.target = { host, port };
  }
}

/**
 * Runs `def` with `config` on one fake request: create, access, then (when the request goes
 * through) the fake upstream response through bufferResponseBody/body and header, then log.
 */
export async function runPlugin(def: PluginDefinition, config: Record<string, unknown>, req: FakeRequest = {}, upstream: FakeUpstreamResponse = {}): Promise<HarnessResult> {
  const cfg = structuredClone(config);
  const validate = compileSchema(def.schema);
  if (!validate(cfg)) throw new Error(`invalid config for ${def.name}: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
  const problems = def.check?.(cfg) ?? [];
  if (problems.length > 0) throw new Error(`invalid config for ${def.name}: ${problems.map((p) => `${p.path.join('.')} ${p.message}`).join('; ')}`);
  const instance = { id: 'plugin-1', name: def.name, enabled: true, config: cfg, service: null, route: null, consumer: null, consumer_group: null, protocols: ['http', 'https'], tags: [], order: 0, pos: { line: 1, column: 1 } } as unknown as PluginInstance;
  const config0 = { consumers: req.consumers ?? [], acls: [], consumer_groups: [], plugins: [instance] } as unknown as Config;
  const ctx: PluginCreateContext = { config: config0, consumers: consumerIndex(config0), state: (_k, init) => init(), shared: new SharedArrayBuffer(1 << 16) };
  const h = def.create(instance, ctx);
  const c = new FakeContext(req);
  if (h.bufferRequestBody === true) c.requestBody ??= Buffer.alloc(0);
  const access = h.access as ((ctx: PluginContext, body: RequestBodyCapability) => ReturnType<NonNullable<typeof h.access>>) | undefined;
  const answered = (await access?.(c, c as RequestBodyCapability)) ?? null;
  let status: number;
  let body: Buffer;
  if (answered !== null) {
    status = answered.status;
    body = answered.body !== undefined ? Buffer.from(answered.body) : Buffer.from(JSON.stringify({ message: answered.message ?? '', request_id: c.requestId }));
    c.originHeaders = Object.fromEntries(Object.entries(answered.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  } else {
    status = upstream.status ?? 200;
    c.status = status;
    body = Buffer.from(upstream.body ?? '');
    c.originHeaders = Object.fromEntries(Object.entries(upstream.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    if (h.bufferResponseBody !== undefined && h.body !== undefined && h.bufferResponseBody(c, status) > 0) body = await h.body(c, status, body, c);
    status = c.status;
  }
  h.header?.(c, status);
  const info: LogInfo = { status, latencyMs: 0, upstreamLatencyMs: 0, bytesSent: body.length };
  h.log?.(c, info);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.originHeaders)) if (!c.removed.has(k)) headers[k] = v;
  for (const [k, v] of c.added) headers[k.toLowerCase()] = v;
  return {
    answered,
    upstream: { method: c.upstreamMethod, path: c.upstreamPath, query: c.upstreamQuery, headers: c.upstreamHeaders, body: c.requestBody, target: c.target },
    response: { status, headers, body },
    consumer: c.consumer,
  };
}
