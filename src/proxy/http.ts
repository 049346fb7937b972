/**
 * One proxied HTTP request, from uWS's handler to the access line. ProxyRequest is the request
 * as the router and the plugins see it (PluginRequest: what the client sent, and the changes
 * plugins ask for) and the one place that knows where the request stands: admitted, access phase
 * done, body ready, dispatched, finished. The work is done by its parts:
 *
 * - admit.ts: admission (header limits, framing, path, match, protocol);
 * - request-body.ts: reading the body from uWS;
 * - plugin-phases.ts: running the chain's phases;
 * - upstream-exchange.ts: the upstream request and the client's handler;
 * - response-writer.ts: everything written to uWS.
 */
import type uWS from '../uws/index.js';
import type { Snapshot } from '../snapshot/types.js';
import type { MatchInput } from '../router/types.js';
import { performance } from 'node:perf_hooks';
import { ERRORS, type GatewayError } from './errors.js';
import { isListedIn, isSkippedResponseHeader, responseConnectionTokens } from './headers.js';
import { admitHead, admitRoute } from './admit.js';
import type { ProxyState } from './state.js';
import { PluginRequest, joinHeader } from './plugin-request.js';
import type { Chain } from '../plugins/chain.js';
import type { PluginResponse } from '../plugins/types.js';
import { pluginError, runAccess, runLogPhase, type PhaseHost } from './plugin-phases.js';
import { releaseChunk } from '../upstream/body-buffer.js';
import { MAX_BUFFERED_BODY, readBody, readChunkedBody, streamBody, type UwsBodyStream } from './request-body.js';
import { ResponseWriter } from './response-writer.js';
import { UpstreamExchange } from './upstream-exchange.js';

export type { ProxyState } from './state.js';

/** Requests whose body is at most this size (and declared) are buffered, so they can be retried. */
const BUFFER_BODY_LIMIT = 64 * 1024;
const EMPTY_BODY = Buffer.alloc(0);

// ---- dispatch queue ------------------------------------------------------------------------------
// uWS 20.30 answers a pipelined batch (several requests in one read) only when every response
// but the last is written synchronously; otherwise it closes the connection, aborting the request
// in flight, while it parses the next one (the same read, so in the same callback). A request sent
// upstream from inside that callback would run although its answer is never given. So requests
// are sent upstream from a setImmediate (after the read is parsed: a request of a batch that will
// not be answered is aborted by then and never sent), one per event-loop turn for all of them.
let dispatchQueue: ProxyRequest[] = [];
let spareQueue: ProxyRequest[] = [];
let dispatchScheduled = false;
function queueDispatch(r: ProxyRequest): void {
  dispatchQueue.push(r);
  if (!dispatchScheduled) {
    dispatchScheduled = true;
    setImmediate(flushDispatch);
  }
}
function flushDispatch(): void {
  dispatchScheduled = false;
  const list = dispatchQueue;
  dispatchQueue = spareQueue;
  spareQueue = list;
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    try {
      r.dispatchQueued();
    } catch (err) {
      r.errorMessage = (err as Error).message;
      r.fail(ERRORS.badGateway);
    }
  }
  list.length = 0;
}

export class ProxyRequest extends PluginRequest implements PhaseHost, MatchInput {
  // the router's MatchInput (with method, host, path and headers of PluginRequest)
  port: number;
  sni: string | null = null;
  readonly upgrade = false;
  snapshot: Snapshot;
  /** Everything written to the client. */
  readonly out: ResponseWriter;
  /** The upstream side, once the request is sent. */
  exchange: UpstreamExchange | null = null;
  // where the request stands
  chain: Chain | null = null;
  accessDone = false;
  bodyReady = false;
  dispatched = false;
  /** Handed to the upstream client (dispatched: only queued for it). */
  sentUpstream = false;
  aborted = false;
  finished = false;
  /** Close the connection after the response (framing in doubt). */
  closeAfter = false;
  override upstreamMethod: string | null = null;
  // the body (request-body.ts)
  body: Buffer | UwsBodyStream | null = null;
  /** A body read whole into pooled memory (readBody): given back when the request is over. */
  pooledBody: Buffer | null = null;
  bodyStream: UwsBodyStream | null = null;
  /** The whole request body, when the chain asked for it (PluginContext.requestBody). */
  requestBody: Buffer | null = null;
  /** The access phase waits for the whole body (chain.bufferRequestBody). */
  accessAfterBody = false;
  bodyReplaced = false;
  /** Set when a body passed its cap (limitRequestBody, SLUICE_MAX_BUFFERED_BODY). */
  bodyTooLarge = false;
  // what the access line and the log plugins read
  status = 0;
  bytesSent = 0;
  attempts = 0;
  proxyLatency = 0;
  upstreamLatency = -1;
  errorMessage: string | null = null;

  constructor(
    readonly res: uWS.HttpResponse,
    readonly state: ProxyState,
  ) {
    super();
    this.snapshot = state.snapshot;
    this.port = state.port;
    this.out = new ResponseWriter(res, this);
  }

  // ---- entry ----------------------------------------------------------------------------------

  /** Runs synchronously inside the uWS handler: copies what it needs from `req` first. */
  handle(req: uWS.HttpRequest): void {
    const res = this.res;
    const state = this.state;
    this.readRequest(req, res, state);
    state.inFlight++;
    res.onAborted(() => this.onClientAborted());

    // Admission (admit.ts, shared with WebSocket upgrades): a framing error closes the connection.
    const refused = admitHead(this, state, true) ?? admitRoute(this, state);
    if (refused !== null) return this.closeAfter ? this.failAndClose(refused) : this.fail(refused);
    const rt = this.rt!;
    const cl = this.hContentLength;
    const te = this.hTransferEncoding;
    // Request body: none, small and declared (buffer it: cheap and retryable), or streamed.
    // Registered before any plugin runs: uWS delivers body data only to a handler set now.
    const length = cl === undefined ? (te !== undefined ? -1 : 0) : Number(cl);
    const chain = rt.chain;
    if (chain !== null && chain.bufferRequestBody === true) {
      // A plugin reads the whole body in access: buffer it first (no streaming on this route).
      this.chain = chain;
      if (length === 0) {
        this.requestBody = EMPTY_BODY;
        this.bodyReady = true;
      } else if (length > MAX_BUFFERED_BODY) {
        this.bodyTooLarge = true;
        this.errorMessage = 'request body over SLUICE_MAX_BUFFERED_BODY';
        return this.fail(ERRORS.bodyTooLarge);
      } else {
        this.accessAfterBody = true;
        if (length > 0) readBody(this, length);
        else readChunkedBody(this);
        return;
      }
    } else if (length === 0) this.bodyReady = true;
    else if (length > 0 && length <= BUFFER_BODY_LIMIT) readBody(this, length);
    else {
      streamBody(this);
      this.bodyReady = true;
    }
    if (chain === null) {
      this.accessDone = true;
      this.next();
    } else {
      this.chain = chain;
      runAccess(this, chain, 0);
    }
  }

  /**
   * Proxies once the access phase is done and the body is ready (buffered or streaming): queued
   * for the end of this event-loop turn (see `queueDispatch`), not sent from inside uWS's callback.
   */
  next(): void {
    if (!this.accessDone || !this.bodyReady || this.aborted || this.finished || this.dispatched) return;
    const service = this.rt!.service;
    if (service === null) return this.fail(ERRORS.noService);
    this.dispatched = true;
    queueDispatch(this);
  }

  /** Sends the queued request upstream, unless its client went away meanwhile. */
  dispatchQueued(): void {
    if (this.aborted || this.finished) return;
    const exchange = (this.exchange = new UpstreamExchange(this, this.out));
    exchange.send(this.serviceOverride ?? this.rt!.service!); // a plugin's setUpstream / setTarget
  }

  /** The whole body is in (accessAfterBody): expose it to plugins and run the access phase. */
  bodyRead(): void {
    if (this.aborted || this.finished) return;
    this.requestBody = this.body as Buffer;
    runAccess(this, this.chain!, 0);
  }

  /** A streamed body passed its cap: 413 if the upstream has not answered yet, else cut the connection. */
  onBodyTooLarge(): void {
    if (this.bodyTooLarge || this.aborted || this.finished) return;
    this.bodyTooLarge = true;
    this.errorMessage = 'request body over the size limit';
    this.bodyStream?.destroy();
    if (!this.dispatched || !this.sentUpstream) return this.fail(ERRORS.bodyTooLarge); // (maybe queued: dispatchQueued skips it)
    // In flight: abort the upstream request; its onError answers 413 (or closes if headers went out).
    this.exchange?.abort?.(new Error('request body over the size limit'));
  }

  // ---- access phase (run by plugin-phases.ts) ---------------------------------------------------

  accessCancelled(): boolean {
    return this.aborted || this.finished;
  }

  accessPassed(): void {
    this.accessDone = true;
    this.next();
  }

  accessFailed(err: Error): void {
    if (this.aborted || this.finished) return;
    this.errorMessage = 'plugin error: ' + err.message;
    this.fail(ERRORS.internal);
  }

  /** A response a plugin made (auth failure, rate limit, mock...). */
  accessRejected(r: PluginResponse): void {
    if (r.body === undefined) return this.fail(pluginError(r));
    this.out.answer(r);
  }

  // ---- PluginContext --------------------------------------------------------------------------

  override setRequestBody(body: Buffer): void {
    if (this.requestBody === null) throw new Error('setRequestBody: the request body was not buffered (bufferRequestBody)');
    this.body = body;
    this.requestBody = body;
    this.bodyReplaced = true;
  }

  override setUpstreamMethod(method: string): void {
    this.upstreamMethod = method;
  }

  /** Kong's kong.response.exit in the response phase: the client gets this status instead. */
  setResponseStatus(status: number): void {
    this.status = status;
  }

  /** The upstream's response head, raw [name, value, ...] (log plugins read it too). */
  get upstreamHeaders(): Buffer[] | null {
    return this.out.upstreamHeaders;
  }

  protected originResponseHeader(lower: string): string | undefined {
    const lengthOverride = this.out.lengthOverride;
    if (lower === 'content-length' && lengthOverride >= 0) return lengthOverride + '';
    const up = this.out.upstreamHeaders;
    if (up === null) return undefined;
    let found: string | undefined;
    for (let i = 0; i < up.length; i += 2) {
      const n = up[i]!;
      if (n.length !== lower.length || n.toString('latin1').toLowerCase() !== lower) continue;
      found = joinHeader(found, lower, up[i + 1]!.toString('latin1'));
    }
    return found;
  }

  upstreamResponseHeaders(): string[] {
    const out: string[] = [];
    const up = this.out.upstreamHeaders;
    if (up === null) return out;
    const listed = responseConnectionTokens(up);
    for (let i = 0; i < up.length; i += 2) {
      if (isSkippedResponseHeader(up[i]!) !== null) continue;
      if (listed !== null && isListedIn(listed, up[i]!)) continue;
      out.push(up[i]!.toString('latin1').toLowerCase(), up[i + 1]!.toString('latin1'));
    }
    return out;
  }

  override limitRequestBody(maxBytes: number): void {
    const s = this.bodyStream;
    if (s === null) return; // buffered bodies have a Content-Length, checked by the plugin
    s.limit = maxBytes;
    if (s.received > maxBytes) this.onBodyTooLarge();
  }

  /** Arrived on the TLS listener (access log). */
  get tls(): boolean {
    return this.state.tls;
  }

  /** Via, the latency headers and the plugins' headers of a proxied head (response-writer.ts). */
  proxiedTail(upstreamVia: string | null): string {
    return this.proxiedHeaderTail(upstreamVia, this.upstreamLatency, this.proxyLatency);
  }

  /** The latency header and the plugins' headers of a gateway-made response (response-writer.ts). */
  madeTail(latencyMs: number): string {
    return this.madeHeaderTail(latencyMs);
  }

  /** A declared request body that nobody will read: the connection must close after our answer. */
  hasUnreadBody(): boolean {
    if (this.bodyTooLarge) return true;
    const declared = (this.hContentLength !== undefined && this.hContentLength !== '0') || this.hTransferEncoding !== undefined;
    return declared && !this.sentUpstream && !(this.bodyReady && this.bodyStream === null);
  }

  // ---- gateway-made responses -----------------------------------------------------------------

  /**
   * A framing error (RFC 9112 §6.3): answered with `Connection: close`, then closed. Answered from
   * a setImmediate: uWS then closes the connection instead of handing Sluice whatever follows in
   * the same read (answered synchronously, uWS would parse and serve it).
   */
  private failAndClose(err: GatewayError): void {
    this.closeAfter = true;
    this.errorMessage = err.message;
    setImmediate(() => this.fail(err));
  }

  /** Answers with a gateway error, corked (may be called outside the handler's tick). */
  fail(err: GatewayError): void {
    if (this.aborted || this.finished) return; // (uWS throws on any use of an aborted response)
    this.out.fail(err);
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  private onClientAborted(): void {
    this.aborted = true;
    if (!this.finished) {
      if (this.status === 0) this.status = 499;
      // A response whose head went out is cut short: logged with the bytes handed over and this.
      // (Set before the upstream is aborted: its onError finishes, and logs, the request.)
      this.errorMessage ??= this.out.headWritten ? 'cut: the client closed the connection before the end of the response' : 'client closed the connection';
    }
    this.bodyStream?.destroy();
    const abort = this.exchange?.abort ?? null;
    if (abort !== null) abort(new Error('client aborted'));
    else if (!this.finished) this.done();
  }

  /** The request is over (answered, cut, or its client gone): once. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    const pooled = this.pooledBody;
    // Our hold on a pooled body ends here, unless uWS may still be writing into it (not all of
    // it has arrived) or a plugin saw it (requestBody): those are left to the GC. Upstream
    // writes still in flight hold it on their own (body-buffer.ts).
    if (pooled !== null && this.bodyReady && this.requestBody === null) {
      this.pooledBody = null;
      this.body = null;
      releaseChunk(pooled);
    }
    this.state.inFlight--;
    this.state.onFinish(this);
    if (this.chain !== null && this.chain.log !== null) runLogPhase(this, this.status, performance.now() - this.start, this.upstreamLatency, this.bytesSent);
  }
}
