/** kong.request: the request as the client sent it. */
import { aliases, pdkClass } from './functions.js';
import type { KongState } from './state.js';
import { headerObject, hostOf, parseQuery, portOf, tlsOf } from './values.js';

function rawBodyOf(s: KongState, fn: string): Buffer {
  if (s.requestBody !== null) return s.requestBody.requestBody;
  // Response and log phases (Kong reads the body there too): the body read before access, if any.
  const b = s.phase === 'response' || s.phase === 'log' ? s.req.requestBody : null;
  if (b === undefined || b === null) throw new Error(`${fn}: the request body was not buffered for this route (a plugin must call get_raw_body/get_body in its source for Sluice to buffer bodies)`);
  return b;
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
