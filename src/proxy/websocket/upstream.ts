/**
 * The upstream side of a WebSocket upgrade: picks a peer, performs the handshake with it through a
 * `ws` client (the client's headers, the forwarded ones, the plugins' and X-Consumer-*), tries
 * another peer when the connection itself failed (service.retries), and reports to the upgrade
 * request: opened (a 101), refused (any other answer, with its status and a small body) or failed.
 * It holds the peer (least-connections count) until the connection ends.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { IncomingMessage, ClientRequest } from 'node:http';
import WebSocket from 'ws';
import type { ServiceRuntime } from '../../snapshot/types.js';
import type { Peer } from '../../upstream/peer.js';
import { ERRORS } from '../errors.js';
import { appendForwardedHeaders, copyEndToEndHeaders } from '../forwarded.js';
import { isPlainTarget, isSafeHeaderValue, wireValue } from '../bytes.js';
import { pushConsumerHeaders } from '../plugin-phases.js';
import { REFUSAL_BODY_LIMIT } from './limits.js';
import type { WsUpgrade } from './upgrade.js';

/** Handshake headers the `ws` client generates itself (the offered subprotocols are passed apart). */
export const WS_HANDSHAKE_HEADERS: ReadonlySet<string> = new Set([
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
]);
const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT']);

export class WsUpstream {
  peer: Peer | null = null;
  attempts = 0;
  connectTimedOut = false;
  /** The handshake in progress (then the open connection); replaced by a retry. */
  socket: WebSocket | null = null;
  /** The upstream's 101 head, until the client's 101 is written. */
  response: IncomingMessage | null = null;
  /** The subprotocol the upstream chose ('' for none): what the client is told. */
  protocol = '';

  constructor(
    readonly u: WsUpgrade,
    readonly service: ServiceRuntime,
  ) {}

  /** Opens the upstream handshake to the next peer (again to another on a connection failure). */
  connect(exclude: Peer | null): void {
    const u = this.u;
    if (u.aborted) return;
    const service = u.serviceOverride ?? this.service; // a plugin's setUpstream / setTarget
    const peer = service.balancer.pick(null, exclude);
    if (peer === null) return u.fail(ERRORS.noHealthyTarget);
    this.peer = peer;
    u.tried(peer);
    peer.active++;
    this.attempts++;
    this.connectTimedOut = false;
    const match = u.match!;
    const rt = u.rt!;
    const state = u.proxy.state;
    const list: string[] = [];
    const overrides = u.upstreamOverrides;
    copyEndToEndHeaders(list, u.rawHeaders, u.headers.connection, overrides === null ? WS_HANDSHAKE_HEADERS : { has: (n: string) => WS_HANDSHAKE_HEADERS.has(n) || overrides.has(n) });
    appendForwardedHeaders(list, u, state.tls, state.portText, match.strippedPrefix, rt.route.preserve_host, peer.hostHeader);
    // Plugin headers (the `ws` client generates the Sec-WebSocket-* handshake headers itself).
    if (overrides !== null) for (const [k, v] of overrides) if (v !== null && !WS_HANDSHAKE_HEADERS.has(k)) list.push(k, v);
    if (u.consumer !== null) pushConsumerHeaders(list, u.consumer, u.credentialId, u.anonymous, u.hideConsumerGroups, u.snapshot.consumers);
    const headers: Record<string, string> = {};
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i]!;
      const prev = headers[name];
      // Node's http client writes the head as latin1: values go as wire strings (bytes.ts), and
      // a plugin's value with CR, LF or NUL fails the handshake rather than break the head.
      const value = list[i + 1]!;
      if (!isSafeHeaderValue(value)) {
        this.release();
        u.errorMessage = 'upstream header ' + name + ': value holds CR, LF or NUL';
        return u.fail(ERRORS.internal);
      }
      headers[name] = prev === undefined ? wireValue(value) : prev + (name === 'cookie' ? '; ' : ', ') + wireValue(value);
    }
    const secure = service.scheme === 'https';
    const host = peer.host.includes(':') && !peer.host.startsWith('[') ? `[${peer.host}]` : peer.host;
    const query = u.upstreamQuery ?? u.query;
    const upstreamPath = u.upstreamPath ?? match.upstreamPath;
    if (!isPlainTarget(upstreamPath) || !isPlainTarget(query)) {
      // `ws` percent-encodes a non-ASCII target (URL parsing): it could not go byte for byte.
      this.release();
      return u.fail(ERRORS.badBytes);
    }
    const target = `${secure ? 'wss' : 'ws'}://${host}:${peer.port}${upstreamPath}${query === '' ? '' : '?' + query}`;
    const protocols = u.secProtocol === '' ? [] : u.secProtocol.split(',').map((p) => p.trim()).filter((p) => p !== '');
    const connectTimeout = service.service.connect_timeout;
    u.upstreamStart = performance.now();
    let up: WebSocket;
    try {
      up = new WebSocket(target, protocols, {
        headers,
        perMessageDeflate: false,
        followRedirects: false,
        autoPong: false,
        maxPayload: u.options.maxPayload,
        handshakeTimeout: service.readTimeout,
        createConnection: ((opts: net.NetConnectOpts & tls.ConnectionOptions) => this.dial(secure ? { ...opts, ...service.tls.options } : opts, secure, connectTimeout)) as unknown as typeof net.createConnection,
      });
    } catch (err) {
      this.release();
      u.errorMessage = (err as Error).message;
      return u.fail(err instanceof SyntaxError ? ERRORS.badRequest : ERRORS.badGateway);
    }
    this.socket = up;
    up.on('upgrade', (r: IncomingMessage) => {
      this.response = r;
      const chosen = r.headers['sec-websocket-protocol'];
      this.protocol = typeof chosen === 'string' ? chosen : '';
      // `ws` fails a handshake where the server picked none of the offered subprotocols; RFC 6455
      // leaves that decision to the real client, so satisfy ws's check and keep the real answer.
      if (chosen === undefined && protocols.length > 0) r.headers['sec-websocket-protocol'] = protocols[0];
    });
    up.on('open', () => {
      if (up !== this.socket) return;
      u.upstreamLatency = performance.now() - u.upstreamStart;
      u.upstreamOpened(up);
    });
    up.on('unexpected-response', (req: ClientRequest, r: IncomingMessage) => this.onRefused(up, req, r));
    up.on('error', (err: Error) => this.onError(up, err));
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

  /** The upstream answered the handshake with something else than 101: relay status (and small body). */
  private onRefused(up: WebSocket, req: ClientRequest, r: IncomingMessage): void {
    if (up !== this.socket) return;
    const u = this.u;
    u.upstreamLatency = performance.now() - u.upstreamStart;
    const status = r.statusCode ?? 502;
    const declared = Number(r.headers['content-length'] ?? '-1');
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (withBody: boolean): void => {
      if (settled) return;
      settled = true;
      req.destroy();
      this.socket = null;
      this.release();
      if (u.aborted) return;
      u.errorMessage = `upstream refused the WebSocket handshake with ${status}`;
      const body = withBody ? Buffer.concat(chunks, size) : '';
      const type = r.headers['content-type'];
      u.respond(status, type === undefined ? undefined : { 'content-type': Array.isArray(type) ? type[0]! : type }, body, true);
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

  private onError(up: WebSocket, err: Error): void {
    if (up !== this.socket) return;
    const u = this.u;
    if (u.phase === 'open') return u.relay!.onUpstreamError(err);
    if (u.phase !== 'handshake' || u.responded) return;
    // Handshake failed without an HTTP answer: connection error, timeout, bad 101.
    this.socket = null;
    const failed = this.peer;
    this.release();
    if (u.aborted) return;
    u.errorMessage = err.message;
    const code = (err as { code?: string }).code;
    const timedOut = this.connectTimedOut || err.message === 'Opening handshake has timed out';
    const connectFailure = this.connectTimedOut || (code !== undefined && RETRYABLE.has(code) && this.response === null);
    if (connectFailure && this.attempts <= this.service.retries && !u.proxy.closing) return this.connect(failed);
    u.fail(timedOut ? ERRORS.upstreamTimeout : ERRORS.badGateway);
  }

  /** The client went away during the handshake: drop the upstream's. */
  abort(): void {
    const up = this.socket;
    this.socket = null;
    if (up !== null) up.terminate();
    this.release();
  }

  /** Gives the peer back (least-connections count). */
  release(): void {
    if (this.peer !== null) {
      this.peer.active--;
      this.peer = null;
    }
  }
}
