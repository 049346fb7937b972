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
 *
 * Authentication plugins need consumers and credentials: pass them with the request
 * (`consumers`, `credentials: { keyauth_credentials: [{ id, consumer, key }] }`; tags and source
 * positions may be left out). A request that an earlier plugin already authenticated (what acl
 * sees) names its consumer with `consumer` (id or username), optionally `credentialId` and
 * Kong's `authenticatedGroups`. The result says who was authenticated (`consumer`,
 * `credentialId`, `anonymous`).
 *
 * Plugins that keep state across requests (rate-limiting, throttling, proxy-cache) need one
 * instance for several requests: `createPluginRunner(definition, config, { consumers, credentials })`
 * creates the plugin once and returns `run(request, upstream)`, each call one request against the
 * same instance, its `ctx.state` and its shared memory.
 *
 * The log phase sees what the logging plugins' serializer reads of a finished request (the
 * upstream's response headers, the upstream path, whether it was proxied), so file-log, http-log
 * and the others write the entry they would write in the gateway. Their sinks still run: point
 * them at a temporary file or a receiver on 127.0.0.1.
 *
 * Every request matches the same route (id `route-1`, name `test-route`) of the same service
 * (id `service-1`, name `test-service`, http://upstream.test:80). A plugin that buffers request
 * bodies (`bufferRequestBody`) sees `body`, or an empty body when none is given.
 */
import type { AclEntry, BasicAuthCredential, Config, Consumer, ConsumerGroup, HmacAuthCredential, JwtSecret, KeyAuthCredential, PluginInstance, Route, Service } from '../config/types.js';
import { compileSchema } from '../config/validators.js';
import { consumerIndex } from './chain.js';
import { kongDefinition, type KongModule } from './kong-pdk/adapter.js';
import type { ConsumerIndex, LogInfo, PluginContext, PluginCreateContext, PluginDefinition, PluginHandlers, PluginResponse, RequestBodyCapability } from './types.js';

/** An entity as the harness takes it: tags and source position may be left out. */
type Loose<T> = Omit<T, 'tags' | 'pos'> & Partial<Pick<T, Extract<keyof T, 'tags' | 'pos'>>>;

/** A consumer as the harness takes it: an id, the rest optional. */
export type FakeConsumer = Pick<Consumer, 'id'> & Partial<Consumer>;

/** Credentials (the declarative file's top-level collections), each naming its consumer by id. */
export interface FakeCredentials {
  keyauth_credentials?: Array<Loose<KeyAuthCredential>>;
  basicauth_credentials?: Array<Loose<BasicAuthCredential>>;
  jwt_secrets?: Array<Loose<JwtSecret>>;
  hmacauth_credentials?: Array<Loose<HmacAuthCredential>>;
  acls?: Array<Loose<AclEntry>>;
  consumer_groups?: Array<Loose<ConsumerGroup>>;
}

/** The consumers and credentials a plugin instance is created with. */
export interface HarnessEntities {
  consumers?: FakeConsumer[];
  credentials?: FakeCredentials;
}

export interface FakeRequest extends HarnessEntities {
  method?: string;
  /** Path, optionally with `?query`. */
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  clientIp?: string;
  /** Route path parameters (template parameters / regex captures), as `ctx.params`. */
  params?: Record<string, string>;
  /** A consumer (id or username, among `consumers`) an earlier plugin already authenticated. */
  consumer?: string;
  /** With `consumer`: the credential it authenticated with (null/absent: none). */
  credentialId?: string;
  /** Kong's authenticated groups, set by an earlier plugin (acl checks them). */
  authenticatedGroups?: string[];
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
  /** The credential the consumer authenticated with (null: none, or anonymous). */
  credentialId: string | null;
  /** Whether the consumer is the `anonymous` fallback. */
  anonymous: boolean;
  /** The cap a plugin put on a streamed request body (`limitRequestBody`; the proxy enforces it), or null. */
  requestBodyLimit: number | null;
  /** Whether a plugin kept X-Consumer-Groups from the upstream (acl's hide_groups_header). */
  hideConsumerGroups: boolean;
  /** Kong's authenticated groups after the plugin ran (openid-connect's authenticated_groups_claim), or null. */
  authenticatedGroups: readonly string[] | null;
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

const service: Service = {
  id: 'service-1', name: 'test-service', protocol: 'http', host: 'upstream.test', port: 80, path: null, retries: 5,
  connect_timeout: 60000, read_timeout: 60000, write_timeout: 60000, enabled: true, tags: [],
} as unknown as Service;

class FakeContext implements PluginContext {
  method: string;
  path: string;
  query: string;
  clientIp: string;
  requestId = 'harness-request';
  /** The harness's id is fixed from the start; correlation-id may replace it in access. */
  readonly requestIdFixed = true;
  setRequestId(id: string): void {
    this.requestId = id;
  }
  route = route;
  service: Service | null = service;
  params: Readonly<Record<string, string>> | null;
  consumer: Consumer | null = null;
  credentialId: string | null = null;
  anonymous = false;
  authenticatedGroups: readonly string[] | null;
  requestBody: Buffer | null;
  /** Request headers as they would go upstream. */
  sentHeaders: Record<string, string>;
  // What the log plugins' serializer reads of a finished request (src/plugins/log-common/log-view.ts
  // RequestLogView), filled in before the log phase as the proxy's request object has them.
  start = performance.now();
  dispatched = false;
  match: { upstreamPath: string } | null = null;
  upstreamHeaders: Buffer[] | null = null;
  responseHeaders: string[] | null = null;
  removedResponseHeaders: Set<string> | null = null;
  upstreamMethod: string;
  upstreamPath: string;
  upstreamQuery: string;
  added: Array<[string, string]> = [];
  removed = new Set<string>();
  originHeaders: Record<string, string> = {};
  status = 200;
  errorMessage: string | null = null;
  hideConsumerGroups = false;
  target: UpstreamTarget | null = null;
  constructor(private readonly req: FakeRequest) {
    const [p, q] = (req.path ?? '/').split('?', 2) as [string, string | undefined];
    this.method = (req.method ?? 'GET').toUpperCase();
    this.path = p;
    this.query = q ?? '';
    this.clientIp = req.clientIp ?? '127.0.0.1';
    this.params = req.params ?? null;
    this.authenticatedGroups = req.authenticatedGroups ?? null;
    this.headers = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    this.requestBody = req.body === undefined ? null : Buffer.from(req.body);
    this.sentHeaders = { ...this.headers };
    this.upstreamMethod = this.method;
    this.upstreamPath = this.path;
    this.upstreamQuery = this.query;
  }
  readonly headers: Record<string, string>;
  header(lower: string): string | undefined {
    return this.headers[lower];
  }
  authenticate(consumer: Consumer, credentialId: string | null, anonymous = false): void {
    this.consumer = consumer;
    this.credentialId = credentialId;
    this.anonymous = anonymous;
  }
  setUpstreamHeader(name: string, value: string | null): void {
    if (value === null) delete this.sentHeaders[name.toLowerCase()];
    else this.sentHeaders[name.toLowerCase()] = value;
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
  bodyLimit: number | null = null;
  limitRequestBody(maxBytes: number): void {
    this.bodyLimit = maxBytes;
  }
  setUpstream(name: string): void {
    if (this.req.upstreams !== undefined && !this.req.upstreams.includes(name)) throw new Error(`could not find an Upstream named '${name}'`);
    this.target = { upstream: name };
  }
  setTarget(host: string, port: number): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`setTarget: port must be an integer between 1 and 65535: given ${String(port)}`);
    this.target = { host, port };
  }
}

/** The node-wide shared memory a plugin gets (ctx.shared): the gateway's size. */
const SHARED_BYTES = 32 * 1024 * 1024;

function entities(e: HarnessEntities): Config {
  const pos = { file: '<harness>', line: 1, column: 1 };
  const loose = <T>(list: Array<Loose<T>> | undefined): T[] => (list ?? []).map((x) => ({ tags: [], pos, ...x }) as unknown as T);
  const consumers = (e.consumers ?? []).map((c): Consumer => ({ username: null, custom_id: null, groups: [], tags: [], pos, ...c }));
  const cr = e.credentials ?? {};
  return {
    consumers,
    consumer_groups: loose(cr.consumer_groups),
    keyauth_credentials: loose(cr.keyauth_credentials),
    basicauth_credentials: loose(cr.basicauth_credentials),
    jwt_secrets: loose(cr.jwt_secrets),
    hmacauth_credentials: loose(cr.hmacauth_credentials),
    acls: loose(cr.acls),
    services: [],
    routes: [],
    upstreams: [],
    certificates: [],
    plugins: [],
    secrets: [],
    referenced_files: [],
    warnings: [],
  } as unknown as Config;
}

/** One plugin instance, created once, that fake requests run against (see createPluginRunner). */
export interface PluginRunner {
  /** One request through the instance's phases, as runPlugin does. Consumers and credentials come from the runner, not the request. */
  run(req?: FakeRequest, upstream?: FakeUpstreamResponse): Promise<HarnessResult>;
}

/**
 * Validates `config` (throws with the schema's messages when invalid) and creates `def` once with
 * `world`'s consumers and credentials; each `run` is one request against that same instance, so
 * counters, caches and `ctx.state` carry over from one request to the next.
 */
export function createPluginRunner(def: PluginDefinition, config: Record<string, unknown>, world: HarnessEntities = {}): PluginRunner {
  const cfg = structuredClone(config);
  const validate = compileSchema(def.schema);
  if (!validate(cfg)) throw new Error(`invalid config for ${def.name}: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
  const problems = def.check?.(cfg) ?? [];
  if (problems.length > 0) throw new Error(`invalid config for ${def.name}: ${problems.map((p) => `${p.path.join('.')} ${p.message}`).join('; ')}`);
  const instance = { id: 'plugin-1', name: def.name, enabled: true, config: cfg, service: null, route: null, consumer: null, consumer_group: null, protocols: ['http', 'https'], tags: [], order: 0, pos: { line: 1, column: 1 } } as unknown as PluginInstance;
  const config0 = entities(world);
  config0.plugins.push(instance);
  const consumers = consumerIndex(config0);
  const state = new Map<string, unknown>();
  let shared: SharedArrayBuffer | null = null;
  const ctx: PluginCreateContext = {
    config: config0,
    consumers,
    state: <T>(key: string, init: () => T): T => {
      if (!state.has(key)) state.set(key, init());
      return state.get(key) as T;
    },
    // As large as the gateway's (SHARED_MEMORY_BYTES in src/snapshot/compile.ts), so every named
    // region of src/plugins/shared-memory.ts fits; made only for plugins that use it.
    get shared(): SharedArrayBuffer {
      return (shared ??= new SharedArrayBuffer(SHARED_BYTES));
    },
  };
  const h = def.create(instance, ctx);
  let n = 0;
  return { run: (req = {}, upstream = {}) => runOnce(h, consumers, req, upstream, ++n) };
}

/**
 * Runs `def` with `config` on one fake request: create, access, then (when the request goes
 * through) the fake upstream response through bufferResponseBody/body and header, then log.
 * The plugin is created for this request alone (see createPluginRunner for several requests).
 */
export async function runPlugin(def: PluginDefinition, config: Record<string, unknown>, req: FakeRequest = {}, upstream: FakeUpstreamResponse = {}): Promise<HarnessResult> {
  return createPluginRunner(def, config, { consumers: req.consumers, credentials: req.credentials }).run(req, upstream);
}

async function runOnce(h: PluginHandlers, consumers: ConsumerIndex, req: FakeRequest, upstream: FakeUpstreamResponse, n: number): Promise<HarnessResult> {
  const c = new FakeContext(req);
  if (n > 1) c.requestId = `harness-request-${n}`;
  if (req.consumer !== undefined) {
    const who = consumers.find(req.consumer);
    if (who === undefined) throw new Error(`harness: consumer ${req.consumer} is not among the consumers`);
    c.authenticate(who, req.credentialId ?? null);
  }
  // As the proxy: a plugin that buffers bodies sees an empty one when the request has none.
  if (h.bufferRequestBody === true && req.body === undefined) c.requestBody = Buffer.alloc(0);
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
  if (answered === null) {
    c.dispatched = true;
    c.match = { upstreamPath: c.upstreamPath };
    c.upstreamHeaders = Object.entries(upstream.headers ?? {}).flatMap(([k, v]) => [Buffer.from(k, 'latin1'), Buffer.from(v, 'latin1')]);
  }
  c.responseHeaders = c.added.flat();
  c.removedResponseHeaders = c.removed;
  const info: LogInfo = { status, latencyMs: 0, upstreamLatencyMs: answered === null ? 0 : -1, bytesSent: body.length };
  h.log?.(c, info);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.originHeaders)) if (!c.removed.has(k)) headers[k] = v;
  for (const [k, v] of c.added) headers[k.toLowerCase()] = v;
  return {
    answered,
    upstream: { method: c.upstreamMethod, path: c.upstreamPath, query: c.upstreamQuery, headers: c.sentHeaders, body: c.requestBody, target: c.target },
    response: { status, headers, body },
    consumer: c.consumer,
    credentialId: c.credentialId,
    anonymous: c.anonymous,
    requestBodyLimit: c.bodyLimit,
    hideConsumerGroups: c.hideConsumerGroups,
    authenticatedGroups: c.authenticatedGroups,
  };
}
