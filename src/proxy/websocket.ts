/**
 * WebSocket passthrough (SPEC.md §4): uWS accepts the client's upgrade request, the route is
 * matched and its plugin chain's access phase runs (plugin-phases.ts, the same runner as HTTP; a
 * rejection is an HTTP answer and no upstream is contacted), then a `ws` client performs the
 * handshake with the service's peer, carrying the plugins' upstream headers, query and X-Consumer-*; only when the upstream accepts is the client upgraded, with the subprotocol the
 * upstream chose. From then on messages, pings and close codes pass through both ways with
 * backpressure. A connection keeps the snapshot (route, service, peer) it started with, so a
 * reload never touches it. The header phase runs on the 101 (or the rejection); the log phase
 * when the WebSocket closes (status 101), or when the upgrade got an HTTP answer instead.
 *
 * Limits (per connection, documented in the README):
 * - max message size: `wsRouteOptions(rt).maxPayload` (16 MiB by default), both directions, close
 *   1009. uWS's own limit is set to `UWS_MAX_PAYLOAD` (twice the largest route limit) because uWS
 *   closes with 1006 and no frame on its own limit; a client message over that is cut with 1006.
 * - upstream→client: when the client's uWS buffer exceeds `CLIENT_HIGH_WATER`, the upstream
 *   socket is paused until uWS drains it below `CLIENT_LOW_WATER`.
 * - client→upstream: uWS 20.30 cannot pause reading a WebSocket, so when the upstream does not read
 *   and more than `wsRouteOptions(rt).upstreamBufferCap` is queued for it, the client is closed
 *   with 1013 (Try Again Later) and the upstream with 1001.
 * - idle: `IDLE_TIMEOUT_S` seconds without traffic from the client; uWS pings an idle client
 *   first, so only a dead client is closed.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { IncomingMessage, ClientRequest } from 'node:http';
import type { AccessLog } from '../observability/access-log.js';
import type uWS from '../uws/index.js';
import WebSocket from 'ws';
import type { WorkerMetrics } from '../observability/metrics.js';
import type { Chain } from '../plugins/chain.js';
import type { PluginResponse } from '../plugins/types.js';
import { WebSocketMetrics } from '../observability/websocket-metrics.js';
import type { MatchInput } from '../router/types.js';
import type { RouteRuntime, ServiceRuntime, Snapshot } from '../snapshot/types.js';
import type { Peer } from '../upstream/peer.js';
import { ERRORS, errorBodyFast, type GatewayError } from './errors.js';
import { appendForwardedHeaders, copyEndToEndHeaders } from './forwarded.js';
import { PluginRequest, joinHeader } from './plugin-request.js';
import { HOP_BY_HOP } from './headers.js';
import { isHeaderName, isPlainTarget, isSafeHeaderValue, wireValue } from './bytes.js';
import type { ProxyState } from './state.js';
import { admitHead, admitRoute } from './admit.js';
import { pluginError, pushConsumerHeaders, runAccess, runHeaderPhase, runLogPhase, type PhaseHost } from './plugin-phases.js';
import { statusLine } from './status.js';

// ---- limits ---------------------------------------------------------------------------------

export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

/** Per-route WebSocket limits. Today every route gets the defaults; a route field can feed this later. */
export interface WsRouteOptions {
  /** Largest message accepted in either direction; a larger one closes the connection with 1009. */
  maxPayload: number;
  /** Bytes queued towards an upstream that does not read before the client is closed with 1013. */
  upstreamBufferCap: number;
}

const DEFAULT_ROUTE_OPTIONS: WsRouteOptions = Object.freeze({
  maxPayload: DEFAULT_MAX_PAYLOAD,
  upstreamBufferCap: 2 * DEFAULT_MAX_PAYLOAD,
});

/** The limits of a route (the one place a future `route` setting would be read). */
export function wsRouteOptions(_rt: RouteRuntime): WsRouteOptions {
  return DEFAULT_ROUTE_OPTIONS;
}

/** uWS's per-message limit for the whole app: above every route's maxPayload so we can send 1009. */
export const UWS_MAX_PAYLOAD = 2 * DEFAULT_MAX_PAYLOAD;
/** Pause the upstream when this much is buffered towards the client; resume under the low mark. */
export const CLIENT_HIGH_WATER = 1024 * 1024;
export const CLIENT_LOW_WATER = 256 * 1024;
/**
 * uWS drops (send returns 2) beyond maxBackpressure. After the upstream is paused, at most one
 * socket read of small messages plus one message being assembled can still arrive, so this bound
 * is never reached; it keeps a slow client's memory bounded if it ever is.
 */
const UWS_MAX_BACKPRESSURE = CLIENT_HIGH_WATER + UWS_MAX_PAYLOAD + 1024 * 1024;
/** Seconds without a frame from the client before uWS pings it, then closes it if still silent. */
export const IDLE_TIMEOUT_S = 120;
/** A refused handshake's body is relayed to the client when at most this large. */
const REFUSAL_BODY_LIMIT = 64 * 1024;

/** Handshake headers the `ws` client generates itself (the offered subprotocols are passed apart). */
const WS_HANDSHAKE_HEADERS: ReadonlySet<string> = new Set([
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
]);
/** Headers of the upstream's 101 response not relayed to the client (uWS writes its own). */
const UPGRADE_RESPONSE_SKIP: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  ...WS_HANDSHAKE_HEADERS,
  'sec-websocket-accept',
  'content-length',
  'date',
  'via',
  'uwebsockets',
]);
const UPGRADE_TOKEN = /(?:^|,)[ \t]*upgrade[ \t]*(?:,|$)/i;
const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT']);
const BINARY = { binary: true } as const;
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json; charset=utf-8' });
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const TEXT = { binary: false } as const;


function copyOf(ab: ArrayBuffer): Buffer {
  const b = Buffer.allocUnsafe(ab.byteLength);
  b.set(new Uint8Array(ab));
  return b;
}

/** Close codes a peer may put in a close frame (RFC 6455 §7.4; 1005/1006/1015 are never sent). */
function sendableCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** Close reasons are at most 123 bytes. */
function clampReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  return Buffer.from(reason).subarray(0, 123).toString('utf8').replace(/\uFFFD+$/, '');
}

// ---- cork callbacks for sends made from Node events (ws upstream), as uWS requires ------------
// Writes to a uWS socket outside its own callbacks must be corked, or they can interleave with
// another socket's cork buffer. Static functions + module slots: no closure per message.
let corkConn: WsConnection | null = null;
let corkData: Buffer | null = null;
let corkBinary = false;
let corkResult = 0;
function corkSend(): void {
  corkResult = corkConn!.client!.send(corkData!, corkBinary);
}
function corkPing(): void {
  corkConn!.client!.ping(corkData!);
}

export interface WsUserData {
  conn: WsConnection;
}

// ---- the worker-wide side ---------------------------------------------------------------------

/** One per worker: the uWS `ws` behaviour, the open connections, shutdown. */
export class WebSocketProxy {
  readonly open = new Set<WsConnection>();
  closing = false;

  constructor(
    readonly state: ProxyState,
    readonly requestMetrics: WorkerMetrics,
    /** Access log destination, or null when access lines are off. */
    readonly accessLog: AccessLog | null,
    /** The worker's WebSocket metrics (one set per worker, shared by its listeners). */
    readonly metrics: WebSocketMetrics,
  ) {}

  get count(): number {
    return this.open.size;
  }

  behavior(): uWS.WebSocketBehavior<WsUserData> {
    return {
      maxPayloadLength: UWS_MAX_PAYLOAD,
      maxBackpressure: UWS_MAX_BACKPRESSURE,
      idleTimeout: IDLE_TIMEOUT_S,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        new WsConnection(this, res).handle(req, context);
      },
      open: (ws) => ws.getUserData().conn.onClientOpen(ws),
      message: (ws, message, isBinary) => ws.getUserData().conn.onClientMessage(message, isBinary),
      drain: (ws) => ws.getUserData().conn.onClientDrain(),
      ping: (ws, message) => ws.getUserData().conn.onClientPing(message),
      pong: (ws, message) => ws.getUserData().conn.onClientPong(message),
      close: (ws, code, message) => ws.getUserData().conn.onClientClose(code, message),
    };
  }

  /** Graceful shutdown: every client gets 1001, every upstream a 1001 close; later handshakes too. */
  closeAll(code = 1001, reason = 'Going Away'): void {
    this.closing = true;
    for (const c of [...this.open]) c.closeBoth(code, reason);
  }
}

// ---- one connection ----------------------------------------------------------------------------

type Phase = 'handshake' | 'open' | 'closed';

/**
 * One proxied WebSocket: the uWS side (client) and the `ws` side (upstream). It is also what the
 * route's plugins see of the upgrade request (PluginContext, via PhaseHost).
 */
export class WsConnection extends PluginRequest implements PhaseHost, MatchInput {
  // request (copied out of uWS before anything asynchronous)
  secKey = '';
  secProtocol = '';
  secExtensions = '';
  context: uWS.us_socket_context_t | null = null;
  // routing
  readonly snapshot: Snapshot;
  options: WsRouteOptions = DEFAULT_ROUTE_OPTIONS;
  // the router's MatchInput (with method, host, path and headers of PluginRequest; admit.ts)
  port = 0;
  sni: string | null = null;
  readonly upgrade = true;
  /** Unused on upgrades (admit.ts sets it only for HTTP framing errors). */
  closeAfter = false;
  peer: Peer | null = null;
  attempts = 0;
  // plugins (PluginContext)
  chain: Chain | null = null;
  /** Upstream handshake headers set (value) or removed (null) by plugins, by lower-case name. */
  /** Upstream handshake path set by a plugin (request-transformer replace.uri). */
  /** An upgrade request has no body: no plugin sees one (PluginContext.requestBody). */
  readonly requestBody: Buffer | null = null;
  /** Whether the log phase ran (once: at close, or with the HTTP answer). */
  logPhaseDone = false;
  /** Message bytes sent to the client (the log phase's bytesSent). */
  bytesToClient = 0;
  // state
  phase: Phase = 'handshake';
  aborted = false;
  responded = false;
  status = 0;
  upstreamStart = 0;
  upstreamLatency = -1;
  errorMessage: string | null = null;
  upstream: WebSocket | null = null;
  upstreamHeaders: IncomingMessage | null = null;
  /** The subprotocol the upstream chose ('' for none): what the client is told. */
  upstreamProtocol = '';
  connectTimedOut = false;
  client: uWS.WebSocket<WsUserData> | null = null;
  clientClosed = false;
  upstreamClosed = false;
  upstreamPaused = false;
  /** Close code for the client decided by an upstream error (e.g. 1009), used when the upstream closes. */
  pendingClientClose: { code: number; reason: string } | null = null;

  constructor(
    readonly proxy: WebSocketProxy,
    readonly res: uWS.HttpResponse,
  ) {
    super();
    this.snapshot = proxy.state.snapshot;
  }

  // ---- handshake --------------------------------------------------------------------------

  /** Runs synchronously in uWS's upgrade handler: copies everything from `req` first. */
  handle(req: uWS.HttpRequest, context: uWS.us_socket_context_t): void {
    const res = this.res;
    const state = this.proxy.state;
    this.readRequest(req, res, state);
    this.secKey = req.getHeader('sec-websocket-key');
    this.secProtocol = req.getHeader('sec-websocket-protocol');
    this.secExtensions = req.getHeader('sec-websocket-extensions');
    this.context = context;
    this.port = state.port;
    res.onAborted(() => this.onClientAborted());

    const refusedHead = admitHead(this, state, false);
    if (refusedHead !== null) return this.fail(refusedHead);
    // RFC 6455 §4.2.1: the handshake's Connection must include "upgrade" (uWS does not check; a
    // `Connection: close` upgrade would be closed by uWS right after the 101).
    if (!UPGRADE_TOKEN.test(this.headers.connection ?? '')) return this.fail(ERRORS.badRequest);
    if (this.proxy.closing) return this.fail(ERRORS.serviceDisabled);
    // Admission as for HTTP (admit.ts): path, match (this is the router's input), protocols.
    const refused = admitRoute(this, state);
    if (refused !== null) return this.fail(refused);
    const rt = this.rt!;
    this.options = wsRouteOptions(rt);
    const chain = rt.chain;
    if (chain === null) return this.accessPassed();
    this.chain = chain;
    // The single call site of the plugin chain for upgrade requests (the runner HTTP uses too).
    runAccess(this, chain, 0);
  }

  // ---- access phase (run by plugin-phases.ts) ----------------------------------------------

  accessCancelled(): boolean {
    return this.aborted || this.responded;
  }

  /** Every access handler let the upgrade through: open the upstream handshake. */
  accessPassed(): void {
    if (this.aborted || this.responded) return;
    const service = this.rt!.service;
    if (service === null) return this.fail(ERRORS.noService);
    this.connect(service, null);
  }

  /** A plugin's answer instead of the upgrade; no upstream connection was made. */
  accessRejected(r: PluginResponse): void {
    if (r.body === undefined) return this.fail(pluginError(r));
    this.respond(r.status, r.headers, r.body, false);
  }

  accessFailed(err: Error): void {
    if (this.aborted || this.responded) return;
    this.errorMessage = 'plugin error: ' + err.message;
    this.fail(ERRORS.internal);
  }

  // ---- PluginContext --------------------------------------------------------------------------

  protected originResponseHeader(lower: string): string | undefined {
    const raw = this.upstreamHeaders?.rawHeaders;
    if (raw === undefined || UPGRADE_RESPONSE_SKIP.has(lower)) return undefined;
    let found: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i]!.toLowerCase() !== lower) continue;
      found = joinHeader(found, lower, raw[i + 1]!);
    }
    return found;
  }

  /** The upstream's 101 headers that reach the client, flat [lower-case name, value, ...]. */
  upstreamResponseHeaders(): string[] {
    const out: string[] = [];
    const raw = this.upstreamHeaders?.rawHeaders;
    if (raw === undefined) return out;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (!UPGRADE_RESPONSE_SKIP.has(name)) out.push(name, raw[i + 1]!);
    }
    return out;
  }

  /** Opens the upstream handshake to the next peer (again to another on a connection failure). */
  private connect(service: ServiceRuntime, exclude: Peer | null): void {
    if (this.aborted) return;
    if (this.serviceOverride !== null) service = this.serviceOverride; // a plugin's setUpstream / setTarget
    const peer = service.balancer.pick(null, exclude);
    if (peer === null) return this.fail(ERRORS.noHealthyTarget);
    this.peer = peer;
    peer.active++;
    this.attempts++;
    this.connectTimedOut = false;
    const match = this.match!;
    const rt = this.rt!;
    const h = this.headers;
    const list: string[] = [];
    const overrides = this.upstreamOverrides;
    copyEndToEndHeaders(list, this.rawHeaders, h.connection, overrides === null ? WS_HANDSHAKE_HEADERS : { has: (n: string) => WS_HANDSHAKE_HEADERS.has(n) || overrides.has(n) });
    appendForwardedHeaders(list, this, this.proxy.state.tls, this.proxy.state.portText, match.strippedPrefix, rt.route.preserve_host, peer.hostHeader);
    // Plugin headers (the `ws` client generates the Sec-WebSocket-* handshake headers itself).
    if (overrides !== null) for (const [k, v] of overrides) if (v !== null && !WS_HANDSHAKE_HEADERS.has(k)) list.push(k, v);
    if (this.consumer !== null) pushConsumerHeaders(list, this.consumer, this.credentialId, this.anonymous, this.hideConsumerGroups, this.snapshot.consumers);
    const headers: Record<string, string> = {};
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i]!;
      const prev = headers[name];
      // Node's http client writes the head as latin1: values go as wire strings (bytes.ts), and
      // a plugin's value with CR, LF or NUL fails the handshake rather than break the head.
      const value = list[i + 1]!;
      if (!isSafeHeaderValue(value)) {
        peer.active--;
        this.peer = null;
        this.errorMessage = 'upstream header ' + name + ': value holds CR, LF or NUL';
        return this.fail(ERRORS.internal);
      }
      headers[name] = prev === undefined ? wireValue(value) : prev + (name === 'cookie' ? '; ' : ', ') + wireValue(value);
    }
    const secure = service.scheme === 'https';
    const host = peer.host.includes(':') && !peer.host.startsWith('[') ? `[${peer.host}]` : peer.host;
    const query = this.upstreamQuery ?? this.query;
    const upstreamPath = this.upstreamPath ?? match.upstreamPath;
    if (!isPlainTarget(upstreamPath) || !isPlainTarget(query)) {
      // `ws` percent-encodes a non-ASCII target (URL parsing): it could not go byte for byte.
      peer.active--;
      this.peer = null;
      return this.fail(ERRORS.badBytes);
    }
    const target = `${secure ? 'wss' : 'ws'}://${host}:${peer.port}${upstreamPath}${query === '' ? '' : '?' + query}`;
    const protocols = this.secProtocol === '' ? [] : this.secProtocol.split(',').map((p) => p.trim()).filter((p) => p !== '');
    const connectTimeout = service.service.connect_timeout;
    this.upstreamStart = performance.now();
    let up: WebSocket;
    try {
      up = new WebSocket(target, protocols, {
        headers,
        perMessageDeflate: false,
        followRedirects: false,
        autoPong: false,
        maxPayload: this.options.maxPayload,
        handshakeTimeout: service.readTimeout,
        createConnection: ((opts: net.NetConnectOpts & tls.ConnectionOptions) => this.dial(secure ? { ...opts, ...service.tls.options } : opts, secure, connectTimeout)) as unknown as typeof net.createConnection,
      });
    } catch (err) {
      peer.active--;
      this.peer = null;
      this.errorMessage = (err as Error).message;
      return this.fail(err instanceof SyntaxError ? ERRORS.badRequest : ERRORS.badGateway);
    }
    this.upstream = up;
    up.on('upgrade', (r: IncomingMessage) => {
      this.upstreamHeaders = r;
      const chosen = r.headers['sec-websocket-protocol'];
      this.upstreamProtocol = typeof chosen === 'string' ? chosen : '';
      // `ws` fails a handshake where the server picked none of the offered subprotocols; RFC 6455
      // leaves that decision to the real client, so satisfy ws's check and keep the real answer.
      if (chosen === undefined && protocols.length > 0) r.headers['sec-websocket-protocol'] = protocols[0];
    });
    up.on('open', () => this.onUpstreamOpen(up));
    up.on('unexpected-response', (req: ClientRequest, r: IncomingMessage) => this.onUpstreamRefused(up, req, r));
    up.on('error', (err: Error) => this.onUpstreamError(up, err, service));
    up.on('message', (data: Buffer, isBinary: boolean) => this.onUpstreamMessage(data, isBinary));
    up.on('ping', (data: Buffer) => this.onUpstreamPing(data));
    up.on('close', (code: number, reason: Buffer) => this.onUpstreamClose(up, code, reason));
  }

  /** TCP (or TLS) connect with service.connect_timeout; the rest of the handshake has read_timeout. */
  private dial(opts: net.NetConnectOpts & tls.ConnectionOptions, secure: boolean, timeoutMs: number): net.Socket {
    let sock: net.Socket;
    if (secure) {
      const o = opts as tls.ConnectionOptions & { path?: string };
      o.path = undefined;
      if (!o.servername && o.servername !== '') o.servername = net.isIP(o.host ?? '') ? '' : o.host;
      sock = tls.connect(o);
    } else {
      sock = net.connect(opts);
    }
    const timer = setTimeout(() => {
      this.connectTimedOut = true;
      sock.destroy(Object.assign(new Error('upstream connect timeout'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setKeepAlive(true, 60_000);
      sock.setNoDelay(true);
    });
    sock.once('close', () => clearTimeout(timer));
    return sock;
  }

  private onUpstreamOpen(up: WebSocket): void {
    if (up !== this.upstream) return;
    this.upstreamLatency = performance.now() - this.upstreamStart;
    if (this.aborted || this.proxy.closing) {
      this.upstreamClosed = true;
      up.close(1001, 'Going Away');
      if (!this.aborted) this.fail(ERRORS.serviceDisabled);
      else this.release();
      return;
    }
    this.status = 101;
    this.responded = true;
    // The head is written corked (one send); res.upgrade is called after the cork, not inside it:
    // in uWS 20.30, HttpResponse::cork reads the upgraded socket's reallocated memory as HTTP
    // response state once its handler returns and may close the fresh WebSocket (1006 right
    // after `open`, a few percent of upgrades under load; uWebSockets PR #1929). Outside the
    // cork, uWS writes the Upgrade/Connection/Accept lines itself without corking.
    this.res.cork(() => this.writeUpgradeHead());
    if (this.aborted) {
      // The head's write failed and uWS closed the client: close the upstream too.
      this.upstreamClosed = true;
      up.close(1001, 'Going Away');
      this.phase = 'closed';
      this.status = 499;
      this.errorMessage ??= 'client closed the connection';
      this.release();
      this.logHandshake();
      this.logPhase();
      return;
    }
    // uWS calls `open` (onClientOpen) from inside res.upgrade.
    this.res.upgrade<WsUserData>({ conn: this }, this.secKey, this.upstreamProtocol, this.secExtensions, this.context!);
  }

  /** Inside cork: 101 with the upstream's extra response headers (Set-Cookie...) and ours; upgrade follows. */
  private writeUpgradeHead(): void {
    const res = this.res;
    runHeaderPhase(this, 101);
    res.writeStatus('101 Switching Protocols');
    const raw = this.upstreamHeaders?.rawHeaders;
    const removed = this.removedResponseHeaders;
    let upstreamVia: string | null = null;
    if (raw !== undefined) {
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i]!.toLowerCase();
        if (name === 'via') upstreamVia = raw[i + 1]!;
        if (UPGRADE_RESPONSE_SKIP.has(name)) continue;
        if (removed !== null && removed.has(name)) continue;
        // Node's parser decoded the upstream's bytes as latin1: give uWS the same bytes back.
        res.writeHeader(name, Buffer.from(raw[i + 1]!, 'latin1'));
      }
    }
    res.writeHeader('via', this.proxiedHeaderTail(upstreamVia, this.upstreamLatency, this.upstreamStart - this.start));
    this.upstreamHeaders = null;
  }

  /** The upstream answered the handshake with something else than 101: relay status (and small body). */
  private onUpstreamRefused(up: WebSocket, req: ClientRequest, r: IncomingMessage): void {
    if (up !== this.upstream) return;
    this.upstreamLatency = performance.now() - this.upstreamStart;
    const status = r.statusCode ?? 502;
    const declared = Number(r.headers['content-length'] ?? '-1');
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (withBody: boolean): void => {
      if (settled) return;
      settled = true;
      req.destroy();
      this.upstream = null;
      this.release();
      if (this.aborted) return;
      this.errorMessage = `upstream refused the WebSocket handshake with ${status}`;
      const body = withBody ? Buffer.concat(chunks, size) : '';
      const type = r.headers['content-type'];
      this.respond(status, type === undefined ? undefined : { 'content-type': Array.isArray(type) ? type[0]! : type }, body, true);
    };
    if (declared > REFUSAL_BODY_LIMIT) return finish(false);
    r.on('data', (c: Buffer) => {
      size += c.length;
      if (size > REFUSAL_BODY_LIMIT) return finish(false);
      chunks.push(c);
    });
    r.on('end', () => finish(true));
    r.on('error', () => finish(false));
    r.on('close', () => finish(size <= REFUSAL_BODY_LIMIT));
  }

  private onUpstreamError(up: WebSocket, err: Error, service: ServiceRuntime): void {
    if (up !== this.upstream) return;
    const code = (err as { code?: string }).code;
    if (this.phase === 'open') {
      // A protocol error on an open connection; ws closes the upstream, tell the client why.
      this.pendingClientClose = code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? { code: 1009, reason: 'Message Too Big' } : { code: 1011, reason: 'upstream protocol error' };
      this.errorMessage = err.message;
      return;
    }
    if (this.phase !== 'handshake' || this.responded) return;
    // Handshake failed without an HTTP answer: connection error, timeout, bad 101.
    this.upstream = null;
    const failed = this.peer;
    this.release();
    if (this.aborted) return;
    this.errorMessage = err.message;
    const timedOut = this.connectTimedOut || err.message === 'Opening handshake has timed out';
    const connectFailure = this.connectTimedOut || (code !== undefined && RETRYABLE.has(code) && this.upstreamHeaders === null);
    if (connectFailure && this.attempts <= service.retries && !this.proxy.closing) return this.connect(service, failed);
    this.fail(timedOut ? ERRORS.upstreamTimeout : ERRORS.badGateway);
  }

  // ---- open connection: client side (uWS callbacks) ---------------------------------------

  onClientOpen(ws: uWS.WebSocket<WsUserData>): void {
    this.client = ws;
    this.phase = 'open';
    this.proxy.open.add(this);
    this.logHandshake();
  }

  onClientMessage(message: ArrayBuffer, isBinary: boolean): void {
    const up = this.upstream;
    if (up === null || this.upstreamClosed || up.readyState !== WebSocket.OPEN) return;
    const n = message.byteLength;
    if (n > this.options.maxPayload) return this.closeBoth(1009, 'Message Too Big');
    up.send(copyOf(message), isBinary ? BINARY : TEXT);
    const m = this.proxy.metrics;
    m.toUpstreamMessages.inc();
    m.toUpstreamBytes.inc(n);
    if (up.bufferedAmount > this.options.upstreamBufferCap) {
      this.errorMessage = 'upstream not reading: buffer cap reached';
      this.closeBoth(1013, 'upstream is not reading');
    }
  }

  onClientDrain(): void {
    if (this.upstreamPaused && this.client !== null && this.client.getBufferedAmount() < CLIENT_LOW_WATER) {
      this.upstreamPaused = false;
      this.upstream?.resume();
    }
  }

  /** uWS already answered the client's ping; the upstream gets it too. */
  onClientPing(message: ArrayBuffer): void {
    const up = this.upstream;
    if (up !== null && !this.upstreamClosed && up.readyState === WebSocket.OPEN) up.ping(copyOf(message));
  }

  /** Pongs go to the upstream (answers to the pings it sent; ws's automatic pong is off). */
  onClientPong(message: ArrayBuffer): void {
    const up = this.upstream;
    if (up !== null && !this.upstreamClosed && up.readyState === WebSocket.OPEN) up.pong(copyOf(message));
  }

  onClientClose(code: number, message: ArrayBuffer): void {
    this.clientClosed = true;
    this.client = null;
    const up = this.upstream;
    if (up !== null && !this.upstreamClosed) {
      this.upstreamClosed = true;
      if (code === 1006) up.terminate();
      else if (!sendableCode(code)) up.close();
      else {
        try {
          up.close(code, clampReason(Buffer.from(message).toString('utf8')));
        } catch {
          up.terminate();
        }
      }
    }
    this.finish();
  }

  // ---- open connection: upstream side (ws events) ------------------------------------------

  private onUpstreamMessage(data: Buffer, isBinary: boolean): void {
    const client = this.client;
    if (client === null || this.clientClosed) return;
    corkConn = this;
    corkData = data;
    corkBinary = isBinary;
    client.cork(corkSend);
    corkConn = null;
    corkData = null;
    const status = corkResult;
    const m = this.proxy.metrics;
    m.toClientMessages.inc();
    m.toClientBytes.inc(data.length);
    this.bytesToClient += data.length;
    if (status === 2) {
      // Dropped: cannot happen below UWS_MAX_BACKPRESSURE; the stream is no longer intact.
      this.errorMessage = 'client backpressure limit: message dropped';
      return this.closeBoth(1013, 'client is not reading');
    }
    if (!this.upstreamPaused && client.getBufferedAmount() > CLIENT_HIGH_WATER) {
      this.upstreamPaused = true;
      this.upstream?.pause();
    }
  }

  private onUpstreamPing(data: Buffer): void {
    if (this.client === null || this.clientClosed) return;
    corkConn = this;
    corkData = data;
    this.client.cork(corkPing);
    corkConn = null;
    corkData = null;
  }

  private onUpstreamClose(up: WebSocket, code: number, reason: Buffer): void {
    if (up !== this.upstream || this.phase !== 'open') return;
    this.upstreamClosed = true;
    const client = this.client;
    if (client !== null && !this.clientClosed) {
      const pending = this.pendingClientClose;
      client.cork(() => {
        if (pending !== null) client.end(pending.code, pending.reason);
        else if (code === 1006) client.close();
        else if (!sendableCode(code)) client.end();
        else client.end(code, reason);
      });
    }
    this.finish();
  }

  /** Closes both sides with the same code (shutdown 1001, 1009, 1013). */
  closeBoth(code: number, reason: string): void {
    const up = this.upstream;
    if (up !== null && !this.upstreamClosed) {
      this.upstreamClosed = true;
      up.close(code === 1009 || code === 1013 ? 1001 : code, code === 1009 || code === 1013 ? 'Going Away' : reason);
    }
    const client = this.client;
    if (client !== null && !this.clientClosed) client.cork(() => client.end(code, reason)); // calls onClientClose
    else this.finish();
  }

  // ---- ends --------------------------------------------------------------------------------

  /** Gives the peer back (least-connections count). */
  private release(): void {
    if (this.peer !== null) {
      this.peer.active--;
      this.peer = null;
    }
  }

  private finish(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.proxy.open.delete(this);
    this.release();
    this.logPhase();
  }

  /** The plugins' log phase, once per connection: at close (101) or with the HTTP answer. */
  private logPhase(): void {
    if (this.logPhaseDone) return;
    this.logPhaseDone = true;
    if (this.chain !== null && this.chain.log !== null) runLogPhase(this, this.status, performance.now() - this.start, this.upstreamLatency, this.bytesToClient);
  }

  private onClientAborted(): void {
    this.aborted = true;
    if (this.responded) return;
    this.status = 499;
    this.errorMessage ??= 'client closed the connection';
    const up = this.upstream;
    this.upstream = null;
    if (up !== null) up.terminate();
    this.release();
    this.logHandshake();
    this.logPhase();
  }

  private fail(err: GatewayError): void {
    if (this.errorMessage === null && err.status >= 500) this.errorMessage = err.message;
    const headers = err.headers === undefined ? JSON_HEADERS : { ...JSON_HEADERS, ...err.headers };
    this.respond(err.status, headers, errorBodyFast(err.message, this.requestId), false);
  }

  /**
   * An HTTP answer instead of the upgrade: a gateway error (JSON), a plugin's answer, or the
   * upstream's refusal (`fromUpstream`: its status, content type and small body). The header
   * phase runs and plugin headers are added, as on HTTP responses.
   */
  private respond(status: number, headers: Readonly<Record<string, string>> | undefined, body: string | Buffer, fromUpstream: boolean): void {
    if (this.aborted || this.responded) return;
    this.responded = true;
    this.status = status;
    this.madeHeaders = headers ?? NO_HEADERS;
    const res = this.res;
    res.cork(() => {
      if (this.chain !== null) runHeaderPhase(this, status);
      res.writeStatus(statusLine(status));
      const removed = this.removedResponseHeaders;
      if (headers !== undefined) {
        for (const k in headers) {
          if (removed !== null && removed.has(k.toLowerCase())) continue;
          const v = headers[k]!;
          if (isSafeHeaderValue(v) && isHeaderName(k)) res.writeHeader(k, v);
        }
      }
      if (fromUpstream) res.writeHeader('x-sluice-upstream-latency', this.madeHeaderTail(this.upstreamLatency));
      else res.writeHeader('x-sluice-response-latency', this.madeHeaderTail(performance.now() - this.start));
      res.end(body);
    });
    this.phase = 'closed';
    this.logHandshake();
    this.logPhase();
  }

  /** Access line + request metrics for the upgrade request (101 or the HTTP answer). */
  private logHandshake(): void {
    const total = performance.now() - this.start;
    this.proxy.requestMetrics.record(this.rt, this.status, total, this.upstreamLatency, 0);
    this.proxy.accessLog?.write(this, total, null);
  }
}
