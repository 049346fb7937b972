/** kong.service, kong.service.request and kong.service.response: the upstream side of the request. */
import type { PluginContext } from '../../types.js';
import { checkBytes, checkHeader } from '../../custom/runtime.js';
import { checkPhase, lazyNamespaces, pdkClass, unsupported } from './functions.js';
import type { KongState } from './state.js';
import { encodeQuery, upstreamHeaders } from './values.js';

function currentUpstreamHeader(req: PluginContext, lower: string): string | undefined {
  const o = (req as { upstreamOverrides?: Map<string, string | null> | null }).upstreamOverrides;
  const k = lower.toLowerCase();
  if (o != null && o.has(k)) return o.get(k) ?? undefined;
  return req.header(k);
}

export class ServiceRequest {
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
    // The response phase holds the body too (for kong.request.get_raw_body), but it has gone upstream.
    checkPhase(this.s, 'kong.service.request.set_raw_body', ['rewrite', 'access']);
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

export class ServiceResponse {
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

export class Service {
  constructor(readonly state: KongState) {}
  /**
   * Kong: routes this request to the Upstream entity `host` (its balancer). An unknown name is
   * Lua's `nil, err`, which kong-js-pdk turns into a rejection: "could not find an Upstream named".
   */
  async setUpstream(host: string): Promise<boolean> {
    if (typeof host !== 'string') throw new TypeError('kong.service.set_upstream: host must be a string');
    if (this.state.phase !== 'access' && this.state.phase !== 'rewrite') throw new Error('kong.service.set_upstream is only available in the access phase');
    try {
      this.state.req.setUpstream(host);
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
    if (this.state.phase !== 'access' && this.state.phase !== 'rewrite') throw new Error('kong.service.set_target is only available in the rewrite and access phases');
    try {
      this.state.req.setTarget(host, port);
    } catch (e) {
      throw new Error(`kong.service.set_target: ${(e as Error).message}`);
    }
  }
}
export interface Service {
  readonly request: ServiceRequest;
  readonly response: ServiceResponse;
}
lazyNamespaces(Service, { request: ServiceRequest, response: ServiceResponse });
pdkClass(Service, 'service');
