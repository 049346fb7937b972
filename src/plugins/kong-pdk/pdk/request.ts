/** kong.request: the request as the client sent it. */
import type { PluginContext } from '../../types.js';
import { aliases, checkPhase, pdkClass } from './functions.js';
import type { KongPhase, KongState } from './state.js';
import { headerObject, hostOf, parseQuery, portOf, tlsOf } from './values.js';

/** Where Kong lets a plugin read the request body (its `before_content` phases; not log). */
const BODY_PHASES: readonly KongPhase[] = ['rewrite', 'access', 'response'];
const NO_BODY = Buffer.alloc(0);

/** Whether the request says it has a body (a non-zero Content-Length, or Transfer-Encoding). */
function declaresBody(req: PluginContext): boolean {
  const te = req.header('transfer-encoding');
  if (te !== undefined) return true;
  const cl = req.header('content-length');
  return cl !== undefined && cl.trim() !== '0';
}

/**
 * The request body for `fn` (kong.request.get_raw_body / get_body), as Kong reads it: in rewrite,
 * access and response (the same bytes access saw, or what set_raw_body put there), "" for a
 * request without a body. Kong answers `nil, err` when it cannot hold the body in memory, which
 * kong-js-pdk turns into a rejection: Sluice rejects the same way, naming the function, when the
 * body streamed because the plugin's code did not ask for it (README, Writing plugins).
 */
function rawBodyOf(s: KongState, fn: string): Buffer {
  checkPhase(s, fn, BODY_PHASES);
  if (s.requestBody !== null) return s.requestBody.requestBody;
  if (!declaresBody(s.req)) return NO_BODY;
  throw new Error(
    `${fn}: the request body was not buffered, so it streamed to the upstream (Sluice buffers it for a Kong plugin whose Plugin class names get_raw_body, get_body, set_raw_body or set_body in its code)`,
  );
}

export class Request {
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
// Sluice trusts no proxy in front of it (Kong's default trusted_ips): forwarded values are the connection's own.
export interface Request {
  getForwardedScheme(): Promise<string>;
  getForwardedHost(): Promise<string>;
  getForwardedPort(): Promise<number>;
}
aliases(Request, { getForwardedScheme: 'getScheme', getForwardedHost: 'getHost', getForwardedPort: 'getPort' });
pdkClass(Request, 'request');
