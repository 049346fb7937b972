/**
 * A WebSocket upgrade request, from uWS's upgrade handler to the end of the connection: admission
 * (admit.ts, as for HTTP), the route's access phase (plugin-phases.ts), then either an HTTP answer
 * instead of the upgrade (a gateway error, a plugin's answer, the upstream's refusal) or the 101
 * and uWS's upgrade. It is what the route's plugins see (PluginContext, via PhaseHost) and what is
 * logged: the access line for the handshake, the log phase when the connection ends. The upstream
 * handshake is upstream.ts; the open connection, relay.ts.
 */
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import type uWS from '../../uws/index.js';
import type { Chain } from '../../plugins/chain.js';
import type { PluginResponse } from '../../plugins/types.js';
import type { MatchInput } from '../../router/types.js';
import type { Snapshot } from '../../snapshot/types.js';
import type { WebSocketProxy } from '../websocket.js';
import { ERRORS, errorBodyFast, type GatewayError } from '../errors.js';
import { PluginRequest, joinHeader } from '../plugin-request.js';
import { HOP_BY_HOP } from '../headers.js';
import { isHeaderName, isSafeHeaderValue } from '../bytes.js';
import { admitHead, admitRoute } from '../admit.js';
import { corked } from '../cork.js';
import { pluginError, runAccess, runHeaderPhase, runLogPhase, type PhaseHost } from '../plugin-phases.js';
import { statusLine } from '../status.js';
import { DEFAULT_ROUTE_OPTIONS, wsRouteOptions, type WsRouteOptions } from './limits.js';
import { WsRelay, type WsUserData } from './relay.js';
import { WS_HANDSHAKE_HEADERS, WsUpstream } from './upstream.js';

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
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json; charset=utf-8' });
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export type Phase = 'handshake' | 'open' | 'closed';

export class WsUpgrade extends PluginRequest implements PhaseHost, MatchInput {
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
  // plugins (PluginContext)
  chain: Chain | null = null;
  /** An upgrade request has no body: no plugin sees one (PluginContext.requestBody). */
  readonly requestBody: Buffer | null = null;
  /** Whether the log phase ran (once: at close, or with the HTTP answer). */
  logPhaseDone = false;
  // state
  phase: Phase = 'handshake';
  aborted = false;
  responded = false;
  status = 0;
  upstreamStart = 0;
  upstreamLatency = -1;
  errorMessage: string | null = null;
  /** The upstream handshake (after admission and the access phase). */
  upstream: WsUpstream | null = null;
  /** The open connection (once the upstream accepted). */
  relay: WsRelay | null = null;

  constructor(
    readonly proxy: WebSocketProxy,
    readonly res: uWS.HttpResponse,
  ) {
    super();
    this.snapshot = proxy.state.snapshot;
  }

  // ---- admission --------------------------------------------------------------------------

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
    this.upstream = new WsUpstream(this, service);
    this.upstream.connect(null);
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

  private upstreamHead(): IncomingMessage | null {
    return this.upstream === null ? null : this.upstream.response;
  }

  protected originResponseHeader(lower: string): string | undefined {
    const raw = this.upstreamHead()?.rawHeaders;
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
    const raw = this.upstreamHead()?.rawHeaders;
    if (raw === undefined) return out;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (!UPGRADE_RESPONSE_SKIP.has(name)) out.push(name, raw[i + 1]!);
    }
    return out;
  }

  // ---- the upstream accepted: 101 and uWS's upgrade ---------------------------------------

  /** Called by upstream.ts when the upstream's 101 arrived (upstreamLatency is set). */
  upstreamOpened(up: WebSocket): void {
    const upstream = this.upstream!;
    if (this.aborted || this.proxy.closing) {
      up.close(1001, 'Going Away');
      if (!this.aborted) this.fail(ERRORS.serviceDisabled);
      else upstream.release();
      return;
    }
    this.status = 101;
    this.responded = true;
    // The head is written corked (one send); res.upgrade is called after the cork, not inside it:
    // in uWS 20.30, HttpResponse::cork reads the upgraded socket's reallocated memory as HTTP
    // response state once its handler returns and may close the fresh WebSocket (1006 right
    // after `open`, a few percent of upgrades under load; uWebSockets PR #1929). Outside the
    // cork, uWS writes the Upgrade/Connection/Accept lines itself without corking.
    corked(this.res, writeUpgradeHead, this);
    if (this.aborted) {
      // The head's write failed and uWS closed the client: close the upstream too.
      up.close(1001, 'Going Away');
      this.phase = 'closed';
      this.status = 499;
      this.errorMessage ??= 'client closed the connection';
      upstream.release();
      this.logHandshake();
      this.logPhase(0);
      return;
    }
    const relay = new WsRelay(this, this.proxy, up, this.options);
    this.relay = relay;
    // uWS calls `open` (relay.onClientOpen, then opened()) from inside res.upgrade.
    this.res.upgrade<WsUserData>({ relay }, this.secKey, upstream.protocol, this.secExtensions, this.context!);
  }

  /** The client is upgraded (relay.ts). */
  opened(): void {
    this.phase = 'open';
    this.logHandshake();
  }

  /** The open connection ended on both sides (relay.ts). */
  ended(bytesToClient: number): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.upstream?.release();
    this.logPhase(bytesToClient);
  }

  // ---- ends --------------------------------------------------------------------------------

  /** The plugins' log phase, once per connection: at close (101) or with the HTTP answer. */
  private logPhase(bytesToClient: number): void {
    if (this.logPhaseDone) return;
    this.logPhaseDone = true;
    if (this.chain !== null && this.chain.log !== null) runLogPhase(this, this.status, performance.now() - this.start, this.upstreamLatency, bytesToClient);
  }

  private onClientAborted(): void {
    this.aborted = true;
    if (this.responded) return;
    this.status = 499;
    this.errorMessage ??= 'client closed the connection';
    this.upstream?.abort();
    this.logHandshake();
    this.logPhase(0);
  }

  fail(err: GatewayError): void {
    if (this.errorMessage === null && err.status >= 500) this.errorMessage = err.message;
    const headers = err.headers === undefined ? JSON_HEADERS : { ...JSON_HEADERS, ...err.headers };
    this.respond(err.status, headers, errorBodyFast(err.message, this.requestId), false);
  }

  /**
   * An HTTP answer instead of the upgrade: a gateway error (JSON), a plugin's answer, or the
   * upstream's refusal (`fromUpstream`: its status, content type and small body). The header
   * phase runs and plugin headers are added, as on HTTP responses.
   */
  respond(status: number, headers: Readonly<Record<string, string>> | undefined, body: string | Buffer, fromUpstream: boolean): void {
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
    this.logPhase(0);
  }

  /** Access line + request metrics for the upgrade request (101 or the HTTP answer). */
  private logHandshake(): void {
    const total = performance.now() - this.start;
    this.proxy.requestMetrics.record(this.rt, this.status, total, this.upstreamLatency, 0);
    this.proxy.accessLog?.write(this, total, null);
  }

  /** Inside the cork: 101 with the upstream's extra response headers (Set-Cookie...) and ours. */
  writeUpgradeHead(): void {
    const res = this.res;
    runHeaderPhase(this, 101);
    res.writeStatus('101 Switching Protocols');
    const raw = this.upstreamHead()?.rawHeaders;
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
    this.upstream!.response = null;
  }
}

function writeUpgradeHead(u: WsUpgrade): void {
  u.writeUpgradeHead();
}
