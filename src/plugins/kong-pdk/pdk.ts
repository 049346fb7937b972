/**
 * Kong's PDK for JavaScript plugins (the `kong` object kong-js-pdk hands to a phase), run
 * in-process: each function is async, as in kong-js-pdk, under its camelCase and its snake_case
 * name, and behaves as Kong's PDK documents it. A function Sluice does not have rejects with an
 * error that names it (the request then gets a JSON 500; the name is logged once).
 *
 * The API objects are small classes over one per-request state, created lazily: a plugin that only
 * sets one header costs a handful of allocations per request.
 */
import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import type { Consumer } from '../../config/types.js';
import type { ConsumerIndex, LogInfo, PluginContext, PluginResponse, RequestBodyCapability } from '../types.js';
import { checkBytes, checkHeader, pluginLog } from '../custom/runtime.js';

export type KongPhase = 'rewrite' | 'access' | 'response' | 'log';

/** What one phase call of one plugin on one request can see and change. */
export class KongState {
  /** The answer kong.response.exit chose (access/rewrite: the request's response; response: the new body). */
  exit: PluginResponse | null = null;
  /** Response phase: the upstream response body (kong.service.response.get_raw_body), and the status. */
  body: Buffer | null = null;
  status = 0;
  info: LogInfo | null = null;
  constructor(
    readonly req: PluginContext,
    readonly plugin: string,
    readonly phase: KongPhase,
    readonly consumers: ConsumerIndex,
    /** The request body capability (access/rewrite of a plugin whose code reads bodies), else null. */
    readonly requestBody: RequestBodyCapability | null = null,
  ) {}
}

/** A PDK function Sluice does not implement: rejects naming it, logged once per name per process. */
export class PdkUnsupportedError extends Error {}
const reported = new Set<string>();
function unsupported(fn: string): PdkUnsupportedError {
  const e = new PdkUnsupportedError(`${fn} is not supported by Sluice's PDK`);
  if (!reported.has(fn)) {
    reported.add(fn);
    pluginLog('error', { pdk_function: fn }, e.message);
  }
  return e;
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
const camel = (s: string): string => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/**
 * Every method of `cls` also under its snake_case name, and any other name answers with an async
 * function rejecting with "kong.<ns>.<name> is not supported" (a Proxy behind the prototype: no
 * per-request cost).
 */
function pdkClass(cls: { prototype: object }, ns: string): void {
  const proto = cls.prototype as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(proto, name)!;
    if (typeof d.value !== 'function') continue;
    const s = snake(name);
    if (s !== name && !(s in proto)) Object.defineProperty(proto, s, d);
  }
  const missing = new Proxy(Object.create(null) as object, {
    get(_t, prop) {
      if (typeof prop !== 'string' || prop === 'then' || prop === 'toJSON' || prop === 'inspect' || prop === 'constructor') return undefined;
      return () => Promise.reject(unsupported(`kong.${ns}.${snake(camel(prop))}`));
    },
  });
  Object.setPrototypeOf(proto, missing);
}

function headerObject(req: PluginContext): Record<string, string | string[]> {
  return { ...req.headers };
}

function parseQuery(q: string, max = 100): Record<string, string | boolean | Array<string | boolean>> {
  const out: Record<string, string | boolean | Array<string | boolean>> = {};
  if (q === '') return out;
  let n = 0;
  for (const part of q.split('&')) {
    if (part === '' || n++ >= max) continue;
    const eq = part.indexOf('=');
    const dec = (s: string): string => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
    };
    const k = dec(eq < 0 ? part : part.slice(0, eq));
    const v: string | boolean = eq < 0 ? true : dec(part.slice(eq + 1));
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}

function encodeQuery(args: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const k of Object.keys(args).sort()) {
    const v = args[k];
    const list = Array.isArray(v) ? v : [v];
    for (const x of list) {
      if (x === true) parts.push(encodeURIComponent(k));
      else if (x !== false && x !== null && x !== undefined) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(x))}`);
    }
  }
  return parts.join('&');
}

function tlsOf(req: PluginContext): boolean {
  return (req as { tls?: boolean }).tls === true;
}

function hostOf(req: PluginContext): string {
  const h = req.header('host') ?? '';
  return h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d+$/, '');
}

function portOf(req: PluginContext): number {
  const p = (req as { port?: number }).port;
  if (typeof p === 'number' && p > 0) return p;
  const m = /:(\d+)$/.exec(req.header('host') ?? '');
  return m ? Number(m[1]) : tlsOf(req) ? 443 : 80;
}

function kongConsumer(c: Consumer | null): Record<string, unknown> | null {
  if (c === null) return null;
  return { id: c.id, username: c.username, custom_id: c.custom_id, tags: (c as { tags?: unknown }).tags ?? null };
}

function rawBodyOf(s: KongState, fn: string): Buffer {
  if (s.requestBody !== null) return s.requestBody.requestBody;
  // Response and log phases (Kong reads the body there too): the body read before access, if any.
  const b = s.phase === 'response' || s.phase === 'log' ? s.req.requestBody : null;
  if (b === undefined || b === null) throw new Error(`${fn}: the request body was not buffered for this route (a plugin must call get_raw_body/get_body in its source for Sluice to buffer bodies)`);
  return b;
}

class Request {
  constructor(private readonly s: KongState) {}
  async getHeader(name: string): Promise<string | undefined> {
    return this.s.req.header(String(name).toLowerCase());
  }
  async getHeaders(_max?: number): Promise<Record<string, string | string[]>> {
    return headerObject(this.s.req);
  }
  async getMethod(): Promise<string> {
    return this.s.req.method;
  }
  async getPath(): Promise<string> {
    return this.s.req.path;
  }
  async getRawPath(): Promise<string> {
    return this.s.req.path;
  }
  async getPathWithQuery(): Promise<string> {
    const q = this.s.req.query;
    return q === '' ? this.s.req.path : `${this.s.req.path}?${q}`;
  }
  async getQuery(max?: number): Promise<Record<string, unknown>> {
    return parseQuery(this.s.req.query, max);
  }
  async getQueryArg(name: string): Promise<string | boolean | undefined> {
    const v = parseQuery(this.s.req.query)[name];
    return Array.isArray(v) ? v[0] : v;
  }
  async getRawQuery(): Promise<string> {
    return this.s.req.query;
  }
  async getRawBody(): Promise<string> {
    return rawBodyOf(this.s, 'kong.request.get_raw_body').toString('utf8');
  }
  async getBody(mimetype?: string): Promise<[unknown, string | null, string]> {
    const body = rawBodyOf(this.s, 'kong.request.get_body').toString('utf8');
    const type = (mimetype ?? this.s.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'application/json' || type.endsWith('+json')) {
      try {
        return [JSON.parse(body), null, type];
      } catch {
        return [null, 'failed to decode json body', type];
      }
    }
    if (type === 'application/x-www-form-urlencoded') return [parseQuery(body), null, type];
    return [null, 'unsupported content type', type];
  }
  async getScheme(): Promise<string> {
    return tlsOf(this.s.req) ? 'https' : 'http';
  }
  async getHost(): Promise<string> {
    return hostOf(this.s.req);
  }
  async getPort(): Promise<number> {
    return portOf(this.s.req);
  }
  async getHttpVersion(): Promise<number> {
    return 1.1;
  }
  // Sluice trusts no proxy in front of it (Kong's default trusted_ips): forwarded values are the connection's own.
  async getForwardedScheme(): Promise<string> {
    return tlsOf(this.s.req) ? 'https' : 'http';
  }
  async getForwardedHost(): Promise<string> {
    return hostOf(this.s.req);
  }
  async getForwardedPort(): Promise<number> {
    return portOf(this.s.req);
  }
  async getForwardedPath(): Promise<string> {
    return this.s.req.path;
  }
  async getForwardedPrefix(): Promise<string | undefined> {
    return undefined;
  }
  async getUriCaptures(): Promise<Record<string, unknown>> {
    return { unnamed: [], named: { ...(this.s.req.params ?? {}) } };
  }
}
pdkClass(Request, 'request');

class Client {
  constructor(private readonly s: KongState) {}
  async getIp(): Promise<string> {
    return this.s.req.clientIp;
  }
  async getForwardedIp(): Promise<string> {
    return this.s.req.clientIp;
  }
  async getConsumer(): Promise<Record<string, unknown> | null> {
    return kongConsumer(this.s.req.consumer);
  }
  async getCredential(): Promise<Record<string, unknown> | null> {
    const id = this.s.req.credentialId;
    return id === null ? null : { id, consumer: this.s.req.consumer === null ? null : { id: this.s.req.consumer.id } };
  }
  async authenticate(consumer: { id?: string } | null, credential: { id?: string } | null): Promise<void> {
    if ((consumer === null || consumer === undefined) && (credential === null || credential === undefined)) {
      throw new Error('kong.client.authenticate: consumer and credential cannot both be nil');
    }
    let c: Consumer | null = null;
    if (consumer?.id !== undefined) {
      c = this.s.consumers.find(String(consumer.id)) ?? null;
      if (c === null) throw new Error(`kong.client.authenticate: no consumer ${String(consumer.id)} in the configuration`);
    }
    if (c !== null) this.s.req.authenticate(c, credential?.id === undefined ? null : String(credential.id), false);
  }
  async getProtocol(): Promise<string> {
    return tlsOf(this.s.req) ? 'https' : 'http';
  }
}
pdkClass(Client, 'client');

class ServiceRequest {
  constructor(private readonly s: KongState) {}
  async setHeader(name: string, value: unknown): Promise<void> {
    const [n, v] = checkHeader('kong.service.request.set_header', name, value);
    this.s.req.setUpstreamHeader(n, v);
  }
  async addHeader(name: string, value: unknown): Promise<void> {
    const [n, v] = checkHeader('kong.service.request.add_header', name, value);
    const cur = currentUpstreamHeader(this.s.req, n);
    this.s.req.setUpstreamHeader(n, cur === undefined ? v : `${cur}, ${v}`);
  }
  async clearHeader(name: string): Promise<void> {
    checkHeader('kong.service.request.clear_header', name, '');
    this.s.req.setUpstreamHeader(name, null);
  }
  async setHeaders(headers: Record<string, unknown>): Promise<void> {
    for (const [k, v] of Object.entries(headers ?? {})) {
      const [n, val] = checkHeader('kong.service.request.set_headers', k, Array.isArray(v) ? v.join(', ') : v);
      this.s.req.setUpstreamHeader(n, val);
    }
  }
  async setPath(path: string): Promise<void> {
    const p = checkBytes('kong.service.request.set_path', 'path', path);
    if (!p.startsWith('/')) throw new TypeError('kong.service.request.set_path: path must start with /');
    this.s.req.setUpstreamPath(p);
  }
  async setRawQuery(query: string): Promise<void> {
    this.s.req.setUpstreamQuery(checkBytes('kong.service.request.set_raw_query', 'query', query));
  }
  async setQuery(args: Record<string, unknown>): Promise<void> {
    if (args === null || typeof args !== 'object') throw new TypeError('kong.service.request.set_query: args must be a table');
    this.s.req.setUpstreamQuery(encodeQuery(args));
  }
  async setMethod(method: string): Promise<void> {
    const m = checkBytes('kong.service.request.set_method', 'method', method);
    if (!/^[A-Z]+$/.test(m)) throw new TypeError(`kong.service.request.set_method: invalid method ${JSON.stringify(m)}`);
    this.s.req.setUpstreamMethod(m);
  }
  async setScheme(_scheme: string): Promise<void> {
    throw unsupported('kong.service.request.set_scheme');
  }
  async setRawBody(body: string | Buffer): Promise<void> {
    const cap = this.s.requestBody;
    if (cap === null) {
      throw new Error('kong.service.request.set_raw_body: the request body was not buffered for this route (mention get_raw_body/set_raw_body in the plugin)');
    }
    cap.setRequestBody(Buffer.isBuffer(body) ? body : Buffer.from(String(body)));
  }
  async setBody(args: unknown, mimetype?: string): Promise<void> {
    const type = (mimetype ?? this.s.req.header('content-type') ?? 'application/json').split(';')[0]!.trim().toLowerCase();
    let text: string;
    if (type === 'application/x-www-form-urlencoded') text = encodeQuery(args as Record<string, unknown>);
    else if (type === 'application/json' || type.endsWith('+json')) text = JSON.stringify(args);
    else throw new Error(`kong.service.request.set_body: unsupported content type ${type}`);
    await this.setRawBody(text);
    if (mimetype !== undefined) this.s.req.setUpstreamHeader('content-type', checkHeader('kong.service.request.set_body', 'content-type', mimetype)[1]);
  }
  async enableBuffering(): Promise<void> {
    /* the response phase buffers already */
  }
}
pdkClass(ServiceRequest, 'service.request');

function currentUpstreamHeader(req: PluginContext, lower: string): string | undefined {
  const o = (req as { upstreamOverrides?: Map<string, string | null> | null }).upstreamOverrides;
  const k = lower.toLowerCase();
  if (o != null && o.has(k)) return o.get(k) ?? undefined;
  return req.header(k);
}

function upstreamHeaders(req: PluginContext): Record<string, string | string[]> {
  const flat = req.upstreamResponseHeaders();
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const k = flat[i]!;
    const prev = out[k];
    out[k] = prev === undefined ? flat[i + 1]! : Array.isArray(prev) ? [...prev, flat[i + 1]!] : [prev, flat[i + 1]!];
  }
  return out;
}

class ServiceResponse {
  constructor(private readonly s: KongState) {}
  async getStatus(): Promise<number | null> {
    return this.s.phase === 'response' || this.s.phase === 'log' ? (this.s.status || this.s.info?.status || null) : null;
  }
  async getHeaders(_max?: number): Promise<Record<string, string | string[]>> {
    return upstreamHeaders(this.s.req);
  }
  async getHeader(name: string): Promise<string | undefined> {
    const v = upstreamHeaders(this.s.req)[String(name).toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }
  async getRawBody(): Promise<string | undefined> {
    if (this.s.phase !== 'response') throw new Error('kong.service.response.get_raw_body is only available in the response phase');
    return this.s.body?.toString('utf8');
  }
  async getBody(): Promise<unknown> {
    const raw = await this.getRawBody();
    try {
      return raw === undefined ? undefined : JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
}
pdkClass(ServiceResponse, 'service.response');

class Service {
  private r: ServiceRequest | null = null;
  private p: ServiceResponse | null = null;
  constructor(private readonly s: KongState) {}
  get request(): ServiceRequest {
    return (this.r ??= new ServiceRequest(this.s));
  }
  get response(): ServiceResponse {
    return (this.p ??= new ServiceResponse(this.s));
  }
  /**
   * Kong: routes this request to the Upstream entity `host` (its balancer). An unknown name is
   * Lua's `nil, err`, which kong-js-pdk turns into a rejection: "could not find an Upstream named".
   */
  async setUpstream(host: string): Promise<boolean> {
    if (typeof host !== 'string') throw new TypeError('kong.service.set_upstream: host must be a string');
    if (this.s.phase !== 'access' && this.s.phase !== 'rewrite') throw new Error('kong.service.set_upstream is only available in the access phase');
    try {
      this.s.req.setUpstream(host);
    } catch (e) {
      throw new Error(`kong.service.set_upstream: ${(e as Error).message}`);
    }
    return true;
  }
  /** Kong: sends this request to host:port directly, bypassing the balancer (retries go to the same target). */
  async setTarget(host: string, port: number): Promise<void> {
    if (typeof host !== 'string') throw new TypeError('kong.service.set_target: host must be a string');
    if (typeof port !== 'number' || !Number.isInteger(port)) throw new TypeError('kong.service.set_target: port must be an integer');
    if (port < 0 || port > 65535) throw new RangeError(`kong.service.set_target: port must be an integer between 0 and 65535: given ${port}`);
    if (this.s.phase !== 'access' && this.s.phase !== 'rewrite') throw new Error('kong.service.set_target is only available in the rewrite and access phases');
    try {
      this.s.req.setTarget(host, port);
    } catch (e) {
      throw new Error(`kong.service.set_target: ${(e as Error).message}`);
    }
  }
}
pdkClass(Service, 'service');

class Response {
  constructor(private readonly s: KongState) {}
  async getStatus(): Promise<number | null> {
    if (this.s.exit !== null) return this.s.exit.status;
    return this.s.status || this.s.info?.status || null;
  }
  async getHeader(name: string): Promise<string | undefined> {
    return this.s.req.getResponseHeader(String(name));
  }
  async getHeaders(_max?: number): Promise<Record<string, string | string[]>> {
    const out = this.s.phase === 'access' || this.s.phase === 'rewrite' ? {} : upstreamHeaders(this.s.req);
    return out;
  }
  async getSource(): Promise<string> {
    if (this.s.exit !== null) return 'exit';
    if (this.s.phase === 'response') return 'service';
    if (this.s.phase === 'log') return (this.s.info?.status ?? 0) >= 500 && (this.s.req as { errorMessage?: string | null }).errorMessage != null ? 'error' : 'service';
    return 'exit';
  }
  async setHeader(name: string, value: unknown): Promise<void> {
    const [n, v] = checkHeader('kong.response.set_header', name, value);
    this.s.req.removeResponseHeader(n);
    this.s.req.addResponseHeader(n, v);
  }
  async addHeader(name: string, value: unknown): Promise<void> {
    const [n, v] = checkHeader('kong.response.add_header', name, value);
    this.s.req.addResponseHeader(n, v);
  }
  async clearHeader(name: string): Promise<void> {
    checkHeader('kong.response.clear_header', name, '');
    this.s.req.removeResponseHeader(name);
  }
  async setHeaders(headers: Record<string, unknown>): Promise<void> {
    for (const [k, v] of Object.entries(headers ?? {})) {
      const list = Array.isArray(v) ? v : [v];
      this.s.req.removeResponseHeader(checkHeader('kong.response.set_headers', k, '')[0]);
      for (const x of list) this.s.req.addResponseHeader(...checkHeader('kong.response.set_headers', k, x));
    }
  }
  /**
   * Ends the request with this answer: `body` a string (sent as is) or a table (sent as JSON);
   * no body sends an empty one, as Kong does. In the response phase it replaces the upstream's body.
   */
  async exit(status: number, body?: unknown, headers?: Record<string, unknown>): Promise<void> {
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new TypeError(`kong.response.exit: invalid status ${String(status)}`);
    if (this.s.phase === 'log') throw new Error('kong.response.exit cannot be called in the log phase');
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers ?? {})) {
      const [n, val] = checkHeader('kong.response.exit', k, Array.isArray(v) ? v.join(', ') : v);
      h[n] = val;
    }
    let out: string | Buffer = '';
    if (typeof body === 'string' || Buffer.isBuffer(body)) out = body;
    else if (body !== undefined && body !== null) {
      out = JSON.stringify(body);
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json; charset=utf-8';
    }
    this.s.exit = { status, body: out, headers: h };
  }
  async error(status: number, message?: string, headers?: Record<string, unknown>): Promise<void> {
    await this.exit(status, { message: message ?? defaultMessage(status) }, headers);
  }
}
pdkClass(Response, 'response');

function defaultMessage(status: number): string {
  return ({ 400: 'Bad request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 405: 'Method not allowed', 429: 'API rate limit exceeded', 500: 'An unexpected error occurred', 502: 'Bad Gateway', 503: 'Service unavailable' } as Record<number, string>)[status] ?? 'An unexpected error occurred';
}

const LOG_LEVELS = { debug: 'debug', info: 'info', notice: 'info', warn: 'warn', err: 'error', crit: 'fatal', alert: 'fatal', emerg: 'fatal' } as const;

class Log {
  constructor(private readonly s: KongState) {}
  private write(level: keyof typeof LOG_LEVELS, args: unknown[]): void {
    const msg = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
    pluginLog(LOG_LEVELS[level], { plugin: this.s.plugin, phase: this.s.phase, request_id: this.s.req.requestId, kong_level: level }, msg);
  }
  async debug(...a: unknown[]): Promise<void> {
    this.write('debug', a);
  }
  async info(...a: unknown[]): Promise<void> {
    this.write('info', a);
  }
  async notice(...a: unknown[]): Promise<void> {
    this.write('notice', a);
  }
  async warn(...a: unknown[]): Promise<void> {
    this.write('warn', a);
  }
  async err(...a: unknown[]): Promise<void> {
    this.write('err', a);
  }
  async crit(...a: unknown[]): Promise<void> {
    this.write('crit', a);
  }
  async alert(...a: unknown[]): Promise<void> {
    this.write('alert', a);
  }
  async emerg(...a: unknown[]): Promise<void> {
    this.write('emerg', a);
  }
}
pdkClass(Log, 'log');

/** kong.ctx.shared / kong.ctx.plugin: per-request tables, with kong-js-pdk's get/set. */
class CtxTable {
  constructor(private readonly map: Map<string, unknown>) {}
  async get(k: string): Promise<unknown> {
    return this.map.get(k);
  }
  async set(k: string, v: unknown): Promise<void> {
    this.map.set(k, v);
  }
}
pdkClass(CtxTable, 'ctx');

const sharedTables = new WeakMap<PluginContext, Map<string, unknown>>();
const pluginTables = new WeakMap<PluginContext, Map<string, Map<string, unknown>>>();

class Ctx {
  constructor(private readonly s: KongState) {}
  get shared(): CtxTable {
    let m = sharedTables.get(this.s.req);
    if (m === undefined) sharedTables.set(this.s.req, (m = new Map()));
    return new CtxTable(m);
  }
  get plugin(): CtxTable {
    let all = pluginTables.get(this.s.req);
    if (all === undefined) pluginTables.set(this.s.req, (all = new Map()));
    let m = all.get(this.s.plugin);
    if (m === undefined) all.set(this.s.plugin, (m = new Map()));
    return new CtxTable(m);
  }
}

class Router {
  constructor(private readonly s: KongState) {}
  async getRoute(): Promise<unknown> {
    return this.s.req.route;
  }
  async getService(): Promise<unknown> {
    return this.s.req.service;
  }
}
pdkClass(Router, 'router');

const NODE_ID = (() => {
  const h = createHash('sha256').update(`${hostname()}\0${process.pid}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
})();

class Node {
  async getId(): Promise<string> {
    return NODE_ID;
  }
  async getHostname(): Promise<string> {
    return hostname();
  }
}
pdkClass(Node, 'node');

class Ip {
  /** Sluice trusts no forwarding proxy (Kong's default trusted_ips is empty). */
  async isTrusted(_ip: string): Promise<boolean> {
    return false;
  }
}
pdkClass(Ip, 'ip');

const node = new Node();
const ip = new Ip();

/** The `kong` object handed to one phase call. */
export class Kong {
  private q: Request | null = null;
  private c: Client | null = null;
  private sv: Service | null = null;
  private rs: Response | null = null;
  private l: Log | null = null;
  private x: Ctx | null = null;
  private rt: Router | null = null;
  constructor(private readonly s: KongState) {}
  get request(): Request {
    return (this.q ??= new Request(this.s));
  }
  get client(): Client {
    return (this.c ??= new Client(this.s));
  }
  get service(): Service {
    return (this.sv ??= new Service(this.s));
  }
  get response(): Response {
    return (this.rs ??= new Response(this.s));
  }
  get log(): Log {
    return (this.l ??= new Log(this.s));
  }
  get ctx(): Ctx {
    return (this.x ??= new Ctx(this.s));
  }
  get router(): Router {
    return (this.rt ??= new Router(this.s));
  }
  get node(): Node {
    return node;
  }
  get ip(): Ip {
    return ip;
  }
}
{
  const missing = new Proxy(Object.create(null) as object, {
    get(_t, prop) {
      if (typeof prop !== 'string' || prop === 'then' || prop === 'toJSON' || prop === 'inspect' || prop === 'constructor') return undefined;
      return new Proxy(() => undefined, {
        get: (_f, sub) => (typeof sub === 'string' ? () => Promise.reject(unsupported(`kong.${prop}.${snake(camel(sub))}`)) : undefined),
        apply: () => Promise.reject(unsupported(`kong.${prop}`)),
      });
    },
  });
  Object.setPrototypeOf(Kong.prototype, missing);
}
