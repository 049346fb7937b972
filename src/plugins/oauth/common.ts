import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { undici } from '../../lazy.js';
import type { PluginInstance } from '../../config/types.js';

/**
 * Helpers shared by the token-based auth plugins (openid-connect, oauth2-introspection,
 * forward-auth): outbound HTTP with a timeout and a body cap, a TTL cache, state keys and
 * RFC 6750 challenges. Nothing here logs a token, secret or cookie.
 */

/** Key for ctx.state: the plugin's identity plus a hash of its configuration (SPEC §6). */
export function stateKey(instance: PluginInstance, part: string): string {
  return `${instance.name}:${instance.id}:${sha256(JSON.stringify(instance.config))}:${part}`;
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('base64url');
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Largest body read from an IdP or an authorizer (discovery documents and JWKS are small). */
const MAX_BODY = 1024 * 1024;

/** One outbound HTTP call with a total timeout (ms). Rejects on connection errors and timeouts. */
export async function httpCall(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; timeout: number; dispatcher?: Dispatcher | undefined },
): Promise<HttpAnswer> {
  const res = await undici().request(url, {
    method: (opts.method ?? 'GET') as 'GET',
    headers: opts.headers,
    body: opts.body,
    headersTimeout: opts.timeout,
    bodyTimeout: opts.timeout,
    signal: AbortSignal.timeout(opts.timeout),
    dispatcher: opts.dispatcher,
  });
  return { status: res.statusCode, headers: res.headers, body: await readCapped(res.body, url) };
}

/** An identity provider's answer body, refused past 1 MiB (a hostile or broken IdP). */
export async function readCapped(body: AsyncIterable<unknown> & { destroy(): unknown }, url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) {
      body.destroy();
      throw new Error(`response from ${new URL(url).origin} is larger than ${MAX_BODY} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** POSTs an application/x-www-form-urlencoded body and parses a JSON answer. */
export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string>, timeout: number): Promise<{ status: number; json: Record<string, unknown> | null }> {
  const res = await httpCall(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(form).toString(),
    timeout,
  });
  return { status: res.status, json: parseJson(res.body) };
}

export async function getJson(url: string, timeout: number): Promise<{ status: number; json: Record<string, unknown> | null }> {
  const res = await httpCall(url, { headers: { accept: 'application/json' }, timeout });
  return { status: res.status, json: parseJson(res.body) };
}

/** A JSON object from a body, or null (not JSON, or not an object). */
export function parseJson(body: Buffer): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** HTTP Basic credentials as RFC 6749 §2.3.1 wants them (form-encoded, then base64). */
export function basicAuth(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64');
}

/**
 * A bounded map of values with expiry times (ms since epoch). Oldest entries go first when full.
 * Values are looked up by a hash of the credential, never by the credential itself.
 */
export class TtlCache<V> {
  private readonly map = new Map<string, { v: V; exp: number }>();
  constructor(private readonly max = 10000) {}

  get(key: string, now = Date.now()): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e.exp <= now) {
      this.map.delete(key);
      return undefined;
    }
    return e.v;
  }

  set(key: string, v: V, exp: number): void {
    this.map.delete(key);
    if (this.map.size >= this.max) {
      const first = this.map.keys().next();
      if (!first.done) this.map.delete(first.value);
    }
    this.map.set(key, { v, exp });
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}

/** Runs `fn` once per key at a time: concurrent callers share the same promise. */
export class Inflight<V> {
  private readonly map = new Map<string, Promise<V>>();
  run(key: string, fn: () => Promise<V>): Promise<V> {
    let p = this.map.get(key);
    if (p === undefined) {
      p = fn().finally(() => this.map.delete(key));
      this.map.set(key, p);
    }
    return p;
  }
}

/** `Bearer realm="...", error="...", error_description="..."` (RFC 6750 §3); quotes and backslashes stripped. */
export function bearerChallenge(realm: string, error?: string, description?: string, scope?: string): string {
  const q = (s: string) => s.replace(/["\\\r\n]/g, '');
  let v = `Bearer realm="${q(realm)}"`;
  if (error !== undefined) v += `, error="${error}"`;
  if (description !== undefined) v += `, error_description="${q(description)}"`;
  if (scope !== undefined) v += `, scope="${q(scope)}"`;
  return v;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length < 8) return undefined;
  if (authorization.charCodeAt(6) !== 32 || authorization.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  const t = authorization.slice(7).trim();
  return t === '' ? undefined : t;
}

/** True when the header is `Authorization: Basic <base64 of id:secret>`. */
export function isBasic(authorization: string | undefined): boolean {
  if (authorization === undefined || authorization.length < 7 || authorization.slice(0, 6).toLowerCase() !== 'basic ') return false;
  return Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8').indexOf(':') > 0;
}

/** A header value as one string (undici gives arrays for repeated headers). */
export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}
