/** kong.response: the response the client gets, and kong.response.exit. */
import { checkHeader } from '../../custom/runtime.js';
import { pdkClass } from './functions.js';
import type { KongState } from './state.js';
import { upstreamHeaders } from './values.js';

function defaultMessage(status: number): string {
  return ({ 400: 'Bad request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 405: 'Method not allowed', 429: 'API rate limit exceeded', 500: 'An unexpected error occurred', 502: 'Bad Gateway', 503: 'Service unavailable' } as Record<number, string>)[status] ?? 'An unexpected error occurred';
}

export class Response {
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
