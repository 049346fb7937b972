import type { Consumer, Route, Service } from '../config/types.js';
import type { RouteMatch } from '../router/types.js';
import type uWS from 'uWebSockets.js';
import type { RouteRuntime } from '../snapshot/types.js';
import { clientIp } from './client-ip.js';

/** Where a request id comes from: a per-worker prefix and counter. */
export interface RequestIds {
  idPrefix: string;
  idCounter: number;
}

// One static header callback writing into the request being read (uWS's forEach is synchronous).
let reading: PluginRequest | null = null;
function collectHeader(name: string, value: string): void {
  const r = reading!;
  r.headerBytes += name.length + value.length + 4;
  const prev = r.headers[name];
  if (prev === undefined) r.headers[name] = value;
  else if (name === 'content-length') r.conflictingLength ||= prev !== value;
  else r.headers[name] = prev + (name === 'cookie' ? '; ' : ', ') + value;
  r.rawHeaders.push(name, value);
}

/**
 * What an HTTP request (ProxyRequest) and a WebSocket upgrade (WsConnection) share as plugin
 * contexts: the matched route, the authenticated consumer, and the changes plugins ask for on
 * the upstream request and on the client's response. One implementation, so both paths behave
 * the same for every plugin.
 */
export abstract class PluginRequest {
  // the request, copied out of uWS before anything asynchronous (readRequest)
  method = '';
  url = '';
  query = '';
  path = '';
  /** Request headers by lower-case name; duplicates joined (cookie with "; "). */
  headers: Record<string, string> = Object.create(null) as Record<string, string>;
  /** The same headers in arrival order: [name, value, ...]. */
  rawHeaders: string[] = [];
  /** Request line plus headers, for SLUICE_MAX_HEADER_BYTES. */
  headerBytes = 0;
  /** Two Content-Length headers that disagree (a smuggling attempt). */
  conflictingLength = false;
  clientIp = '';
  requestId = '';
  start = 0;
  match: RouteMatch | null = null;
  rt: RouteRuntime | null = null;
  consumer: Consumer | null = null;
  credentialId: string | null = null;
  anonymous = false;
  hideConsumerGroups = false;
  /** Upstream request headers plugins set (value) or removed (null), lower-case names. */
  upstreamOverrides: Map<string, string | null> | null = null;
  upstreamQuery: string | null = null;
  upstreamPath: string | null = null;
  /** Headers of a gateway-made response being written (getResponseHeader). */
  madeHeaders: Readonly<Record<string, string>> | null = null;
  /** Headers plugins add to the client's response: [name, value, ...]. */
  responseHeaders: string[] | null = null;
  /** Upstream response headers plugins removed, lower-case. */
  removedResponseHeaders: Set<string> | null = null;

  /** Copies method, URL, query, headers and client address out of uWS (synchronously, in the handler). */
  protected readRequest(req: uWS.HttpRequest, res: uWS.HttpResponse, ids: RequestIds): void {
    this.start = performance.now();
    this.method = req.getCaseSensitiveMethod();
    this.url = req.getUrl();
    this.query = req.getQuery() ?? '';
    this.headerBytes = this.method.length + this.url.length + this.query.length + 12;
    reading = this;
    req.forEach(collectHeader);
    reading = null;
    this.clientIp = clientIp(res);
    this.requestId = ids.idPrefix + (ids.idCounter++).toString(16).padStart(8, '0');
  }

  get route(): Route {
    return this.rt!.route;
  }
  get service(): Service | null {
    return this.rt!.service?.service ?? null;
  }
  get params(): Readonly<Record<string, string>> | null {
    return this.match?.params ?? null;
  }

  authenticate(consumer: Consumer, credentialId: string | null, anonymous: boolean): void {
    this.consumer = consumer;
    this.credentialId = credentialId;
    this.anonymous = anonymous;
  }

  setUpstreamHeader(name: string, value: string | null): void {
    (this.upstreamOverrides ??= new Map()).set(name.toLowerCase(), value);
  }

  setUpstreamQuery(query: string): void {
    this.upstreamQuery = query;
  }

  setUpstreamPath(path: string): void {
    this.upstreamPath = path;
  }

  addResponseHeader(name: string, value: string): void {
    (this.responseHeaders ??= []).push(name, value);
  }

  /** Removes an upstream response header, and one a plugin added before (add-then-remove removes). */
  removeResponseHeader(name: string): void {
    const lower = name.toLowerCase();
    (this.removedResponseHeaders ??= new Set()).add(lower);
    const extra = this.responseHeaders;
    if (extra !== null) {
      for (let i = extra.length - 2; i >= 0; i -= 2) if (extra[i]!.toLowerCase() === lower) extra.splice(i, 2);
    }
  }

  /** The response header as the client will see it: plugin additions, removals, then the origin's. */
  getResponseHeader(name: string): string | undefined {
    const lower = name.toLowerCase();
    const extra = this.responseHeaders;
    if (extra !== null) {
      for (let i = extra.length - 2; i >= 0; i -= 2) if (extra[i]!.toLowerCase() === lower) return extra[i + 1]!;
    }
    if (this.removedResponseHeaders !== null && this.removedResponseHeaders.has(lower)) return undefined;
    const made = this.madeHeaders;
    if (made !== null) {
      for (const k in made) if (k.toLowerCase() === lower) return made[k]!;
      return undefined;
    }
    return this.originResponseHeader(lower);
  }

  /** The upstream's response header (lower-case name), joined as HTTP joins repeated headers. */
  protected abstract originResponseHeader(lower: string): string | undefined;
}

/** Joins repeated header values as HTTP does (Set-Cookie: one per line). */
export function joinHeader(found: string | undefined, lower: string, value: string): string {
  return found === undefined ? value : found + (lower === 'set-cookie' ? '\n' : ', ') + value;
}
