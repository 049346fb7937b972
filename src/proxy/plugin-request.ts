import type { Consumer, Route, Service } from '../config/types.js';
import type { RouteMatch } from '../router/types.js';
import type uWS from '../uws/index.js';
import type { RouteRuntime, ServiceRuntime, Snapshot } from '../snapshot/types.js';
import type { Peer } from '../upstream/peer.js';
import { clientIp } from './client-ip.js';
import { VIA_VALUE } from './headers.js';
import { assertHeader, hasForbidden, isPlainTarget, isPlainValue } from './bytes.js';
import { performance } from 'node:perf_hooks';

/** A target host: a name, an IPv4 address, or an IPv6 one (bracketed or not). */
const TARGET_HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})|\[?[0-9A-Fa-f:.]+\]?)$/;

const VIA_LINE = '\r\nvia: ' + VIA_VALUE;

/** Where a request id comes from: a per-worker prefix and counter. */
export interface RequestIds {
  idPrefix: string;
  idCounter: number;
}

// One static header callback writing into the request being read (uWS's forEach is synchronous).
// It keeps the arrival-order list and picks out the few headers the proxy itself reads into
// fields (by length, then exact name: uWS hands out lower-case names). The by-name object plugins
// and header-matching routes read is built from the list on first use (`headers`).
let reading: PluginRequest | null = null;
function collectHeader(name: string, value: string): void {
  const r = reading!;
  r.headerBytes += name.length + value.length + 4;
  r.rawHeaders.push(name, value);
  // uWS refuses names that are not tokens and values with C0 controls; DEL and non-ASCII pass.
  if (!isPlainValue(value)) r.nonPlain = true;
  switch (name.length) {
    case 3:
      if (name === 'via') r.hVia = r.hVia === undefined ? value : r.hVia + ', ' + value;
      break;
    case 4:
      if (name === 'host') {
        if (r.hasHost) r.duplicateHost = true;
        r.host = r.hasHost ? r.host + ', ' + value : value;
        r.hasHost = true;
      }
      break;
    case 10:
      if (name === 'connection') r.hConnection = r.hConnection === undefined ? value : r.hConnection + ', ' + value;
      break;
    case 14:
      if (name === 'content-length') {
        if (r.hContentLength === undefined) r.hContentLength = value;
        else if (r.hContentLength !== value) r.conflictingLength = true;
      }
      break;
    case 15:
      if (name === 'x-forwarded-for') r.hForwardedFor = r.hForwardedFor === undefined ? value : r.hForwardedFor + ', ' + value;
      break;
    case 17:
      if (name === 'transfer-encoding') r.hTransferEncoding = r.hTransferEncoding === undefined ? value : r.hTransferEncoding + ', ' + value;
      break;
  }
}

/** Request headers by lower-case name from the arrival-order list; duplicates joined (cookie with "; "). */
function headersByName(raw: readonly string[]): Record<string, string> {
  const h = Object.create(null) as Record<string, string>;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const prev = h[name];
    if (prev === undefined) h[name] = raw[i + 1]!;
    else if (name !== 'content-length') h[name] = prev + (name === 'cookie' ? '; ' : ', ') + raw[i + 1]!;
  }
  return h;
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

  /** The router's view of the path as sent (MatchInput.rawPath). */
  get rawPath(): string {
    return this.url;
  }
  query = '';
  /** The target ended with a `?` and nothing after it. */
  bareQuery = false;
  path = '';
  /** Request headers in arrival order: [name, value, ...]. */
  rawHeaders: string[] = [];
  private headerMap: Record<string, string> | null = null;
  // The headers the proxy reads itself (collectHeader), duplicates joined with ", ".
  /** Host header ('' when none); also the router's MatchInput.host. */
  host = '';
  hasHost = false;
  hContentLength: string | undefined = undefined;
  hTransferEncoding: string | undefined = undefined;
  hConnection: string | undefined = undefined;
  hForwardedFor: string | undefined = undefined;
  hVia: string | undefined = undefined;
  /** Request line plus headers, for SLUICE_MAX_HEADER_BYTES. */
  headerBytes = 0;
  /** Two Content-Length headers that disagree (a smuggling attempt). */
  conflictingLength = false;
  /** Two Host headers (400). */
  duplicateHost = false;
  /**
   * The target or a header value holds something outside printable ASCII: check it
   * (`forbiddenBytes`) and send it upstream as wire strings (bytes.ts).
   */
  nonPlain = false;
  clientIp = '';
  /**
   * Request id: per-worker prefix + counter, formatted on first use (`requestId`), or the
   * correlation id (`setRequestId`). Null until then; once a string, every user gets that one.
   */
  private idPrefix = '';
  private idNumber = 0;
  private id: string | null = null;
  /** The peer of the last upstream attempt (access line's upstream_addr, log plugins' tries). */
  target: Peer | null = null;
  /** Peers of the attempts before `target`, oldest first (only after a retry). */
  earlierTargets: Peer[] | null = null;
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
  /** The method sent upstream when a plugin changed it (HTTP; a WebSocket handshake stays GET). */
  upstreamMethod: string | null = null;
  /** Groups an authentication plugin established (PluginContext.authenticatedGroups). */
  authenticatedGroups: readonly string[] | null = null;
  /**
   * Where a plugin redirected this request (setUpstream / setTarget): the service compiled with
   * that balancer, sent to instead of the route's. Null (the common case) costs one check.
   */
  serviceOverride: ServiceRuntime | null = null;
  /** The snapshot this request runs on. */
  abstract readonly snapshot: Snapshot;

  /** Copies method, URL, query, headers and client address out of uWS (synchronously, in the handler). */
  protected readRequest(req: uWS.HttpRequest, res: uWS.HttpResponse, ids: RequestIds): void {
    this.start = performance.now();
    this.method = req.getCaseSensitiveMethod();
    this.url = req.getUrl();
    const query = req.getQuery();
    this.query = query ?? '';
    // A bare `?` goes upstream as the client sent it (Kong keeps it).
    this.bareQuery = query === '';
    this.headerBytes = this.method.length + this.url.length + this.query.length + 12;
    if (!isPlainTarget(this.url) || !isPlainTarget(this.query)) this.nonPlain = true;
    reading = this;
    req.forEach(collectHeader);
    reading = null;
    this.clientIp = clientIp(res);
    this.idPrefix = ids.idPrefix;
    this.idNumber = ids.idCounter++;
  }

  /**
   * Whether the request holds bytes it must be refused for (400): a control character, DEL or
   * U+FFFD (not UTF-8 on the wire) in the target or a header value. Only called when `nonPlain`.
   */
  forbiddenBytes(): boolean {
    if (hasForbidden(this.url, false) || hasForbidden(this.query, false)) return true;
    const raw = this.rawHeaders;
    for (let i = 1; i < raw.length; i += 2) if (hasForbidden(raw[i]!, true)) return true;
    return false;
  }

  /** Request headers by lower-case name; duplicates joined (cookie with "; "). Built on first use. */
  get headers(): Readonly<Record<string, string>> {
    return (this.headerMap ??= headersByName(this.rawHeaders));
  }

  /** PluginContext.header: off the list while `headers` was not built; a repeated header joins as `headers` does. */
  header(lower: string): string | undefined {
    if (this.headerMap !== null) return this.headerMap[lower];
    const raw = this.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i] !== lower) continue;
      for (let j = i + 2; j < raw.length; j += 2) if (raw[j] === lower) return this.headers[lower];
      return raw[i + 1];
    }
    return undefined;
  }

  get requestId(): string {
    return (this.id ??= this.idPrefix + this.idNumber.toString(16).padStart(8, '0'));
  }

  setRequestId(id: string): void {
    this.id = id;
  }

  get requestIdFixed(): boolean {
    return this.id !== null;
  }

  /** An upstream attempt goes to `peer` (called once per attempt, retries included). */
  tried(peer: Peer): void {
    const last = this.target;
    if (last !== null) (this.earlierTargets ??= []).push(last);
    this.target = peer;
  }

  /** `ip:port` of the last upstream attempt ('[v6]:port'), or null when none was made. */
  get upstreamAddr(): string | null {
    return this.target === null ? null : this.target.addr;
  }

  /** The request's User-Agent (repeated ones joined), or null. */
  get userAgent(): string | null {
    return this.header('user-agent') ?? null;
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
    if (value !== null) assertHeader(name, value);
    (this.upstreamOverrides ??= new Map()).set(name.toLowerCase(), value);
  }

  setUpstreamQuery(query: string): void {
    this.upstreamQuery = query;
  }

  setUpstreamPath(path: string): void {
    this.upstreamPath = path;
  }

  setUpstreamMethod(method: string): void {
    this.upstreamMethod = method;
  }

  setUpstream(name: string): void {
    if (typeof name !== 'string') throw new TypeError('setUpstream: name must be a string');
    const s = this.overridable('setUpstream').snapshot.overrides.upstream(name, this.rt!.service!);
    if (s === null) throw new Error(`could not find an Upstream named '${name}'`);
    this.serviceOverride = s;
  }

  setTarget(host: string, port: number): void {
    if (typeof host !== 'string' || !TARGET_HOST.test(host)) throw new TypeError(`setTarget: invalid host ${JSON.stringify(host)}`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`setTarget: port must be an integer between 1 and 65535: given ${String(port)}`);
    this.serviceOverride = this.overridable('setTarget').snapshot.overrides.target(host, port, this.rt!.service!);
  }

  /** `this`, when the request has a service to redirect; throws naming `fn` otherwise. */
  private overridable(fn: string): this {
    if (this.rt === null || this.rt.service === null) throw new Error(`${fn}: the route has no service`);
    return this;
  }

  /** Caps a streamed body (HTTP overrides it); nothing streams on a WebSocket upgrade. */
  limitRequestBody(_maxBytes: number): void {}

  /** Replaces the body sent upstream (HTTP overrides it); an upgrade has none. */
  setRequestBody(_body: Buffer): void {
    throw new Error('setRequestBody: this request has no body (WebSocket upgrade)');
  }

  addResponseHeader(name: string, value: string): void {
    assertHeader(name, value);
    (this.responseHeaders ??= []).push(name, value);
  }

  /**
   * The headers plugins added, as `\r\nname: value` lines to append to the value of the last
   * header the proxy writes: uWS writes `name: value\r\n` verbatim, so every plugin header goes
   * out with that one writeHeader call instead of a native crossing each ('' when none).
   */
  protected pluginHeaderLines(): string {
    const extra = this.responseHeaders;
    if (extra === null) return '';
    let s = '';
    for (let i = 0; i < extra.length; i += 2) s += '\r\n' + extra[i]! + ': ' + extra[i + 1]!;
    return s;
  }

  /**
   * The value to write after a gateway-made response's latency header (`x-sluice-response-latency`,
   * or the upstream one for a relayed WebSocket refusal): the latency, then Via and the plugins'
   * headers as CRLF-joined lines, in one uWS writeHeader.
   */
  protected madeHeaderTail(latencyMs: number): string {
    return Math.round(latencyMs) + VIA_LINE + this.pluginHeaderLines();
  }

  /**
   * The value to write as `via` on a proxied response: Via (the upstream's, then ours), the two
   * latency headers and the plugins' headers as CRLF-joined lines, all in one uWS writeHeader.
   */
  protected proxiedHeaderTail(upstreamVia: string | null, upstreamMs: number, proxyMs: number): string {
    return (
      (upstreamVia === null ? VIA_VALUE : upstreamVia + ', ' + VIA_VALUE) +
      '\r\nx-sluice-upstream-latency: ' +
      Math.round(upstreamMs) +
      '\r\nx-sluice-proxy-latency: ' +
      Math.round(proxyMs) +
      this.pluginHeaderLines()
    );
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
