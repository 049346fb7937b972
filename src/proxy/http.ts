import { Readable } from 'node:stream';
import type uWS from '../uws/index.js';
import type { RouteRuntime, ServiceRuntime, Snapshot } from '../snapshot/types.js';
import type { MatchInput } from '../router/types.js';
import { performance } from 'node:perf_hooks';
import type { BalanceInput } from '../upstream/balancer.js';
import type { Peer } from '../upstream/peer.js';
import { ERRORS, errorBodyFast, type GatewayError } from './errors.js';
import { appendForwardedHeaders, copyEndToEndHeaders } from './forwarded.js';
import { isListedIn, isSkippedResponseHeader, responseConnectionTokens } from './headers.js';
import { admitHead, admitRoute } from './admit.js';
import type { ProxyState } from './state.js';
import { isHeaderName, isSafeHeaderValue, wireTarget, wireValue } from './bytes.js';
import { statusLine } from './status.js';
import { PluginRequest, joinHeader } from './plugin-request.js';
import type { Chain } from '../plugins/chain.js';
import type { Upstream } from '../config/types.js';
import type { PluginResponse } from '../plugins/types.js';
import { pluginError, pushConsumerHeaders, runAccess, runBodyPhase, runHeaderPhase, runLogPhase, type PhaseHost } from './plugin-phases.js';
import { copyChunk, releaseChunk, takeChunk } from '../upstream/body-buffer.js';
import { UpstreamErrorKind, isRetryable, isTimeout, type UpstreamHandler, type UpstreamRequest } from '../upstream/client.js';
import { POOLED_BODIES } from '../upstream/pool.js';

export type { ProxyState } from './state.js';

/** Requests whose body is at most this size (and declared) are buffered, so they can be retried. */
const BUFFER_BODY_LIMIT = 64 * 1024;
/**
 * Largest request body read whole for a plugin that needs it (request-transformer,
 * request-validator), and largest response body held for a `body` phase: 413 / streamed unchanged
 * beyond. SLUICE_MAX_BUFFERED_BODY (bytes), default 8 MiB.
 */
const MAX_BUFFERED_BODY = Number(process.env.SLUICE_MAX_BUFFERED_BODY ?? '') > 0 ? Number(process.env.SLUICE_MAX_BUFFERED_BODY) : 8 * 1024 * 1024;
const EMPTY_BODY = Buffer.alloc(0);
/** Largest body handed to uWS whole with `end` (at most about what a socket buffer takes at once). */
const END_WHOLE_LIMIT = 64 * 1024;
const ERROR_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json; charset=utf-8' };
/** Methods a request may be retried with (RFC 9110 §9.2.2), by comparison rather than hashing. */
function isIdempotent(m: string): boolean {
  return m === 'GET' || m === 'HEAD' || m === 'OPTIONS' || m === 'PUT' || m === 'DELETE' || m === 'TRACE';
}

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
      r.onError(err as Error, UpstreamErrorKind.ResetBeforeResponse);
    }
  }
  list.length = 0;
}

// ---- cork callbacks: static functions reading the request being written ---------------------
let corking: ProxyRequest | null = null;
function corkWriteChunk(): void {
  const r = corking!;
  if (r.headPending) r.writeHead();
  if (!r.bodiless) r.writeChunk(r.corkChunk!);
}
function corkBuffered(): void {
  const r = corking!;
  const body = r.corkChunk!;
  r.writeHead();
  if (r.bodiless || body.length === 0) r.finishBody();
  else r.writeChunk(body);
}
function corkFinish(): void {
  const r = corking!;
  if (r.headPending) r.writeHead();
  r.finishBody();
}

// ---- deferred response heads ---------------------------------------------------------------
// A response head is written in the cork of its first body bytes (or of the end, for bodiless
// and empty responses): uWS 20.30 cannot send a head alone (it ends the header section with the
// first body write), so writing it earlier would only cost a second cork. A head whose body never
// comes is dropped with the error response that replaces it (502/504 instead of a cut connection).
function corkPluginResponse(): void {
  const r = corking!;
  r.writePluginResponse(r.corkPlugin!);
}
function corkError(): void {
  const r = corking!;
  r.sendError(r.corkError!);
}

/**
 * One proxied request: the uWS side (res) and the undici side (it is the dispatch handler).
 * Methods instead of closures: the only per-request closures are uWS's onAborted/onData and
 * the one onWritable handler, which uWS requires.
 */
export class ProxyRequest extends PluginRequest implements UpstreamHandler, PhaseHost, MatchInput {
  // the router's MatchInput (with method, host, path and headers of PluginRequest)
  port: number;
  sni: string | null = null;
  readonly upgrade = false;
  // routing
  snapshot: Snapshot;
  peer: Peer | null = null;
  attempts = 0;
  // plugins
  chain: Chain | null = null;
  accessDone = false;
  bodyReady = false;
  dispatched = false;
  upstreamMethod: string | null = null;
  /** The whole request body, when the chain asked for it (PluginContext.requestBody). */
  requestBody: Buffer | null = null;
  /** The access phase waits for the whole body (chain.bufferRequestBody). */
  accessAfterBody = false;
  bodyReplaced = false;
  /** Response body held for the `body` phase (chain.bufferResponse), and its cap. */
  respChunks: Buffer[] | null = null;
  respBytes = 0;
  respLimit = 0;
  /** Content-Length of a response whose body a plugin replaced. */
  lengthOverride = -1;
  corkPlugin: PluginResponse | null = null;
  // upstream
  abortUpstream: ((err?: Error) => void) | null = null;
  resumeUpstream: (() => void) | null = null;
  body: Buffer | Readable | null = null;
  /** A body read whole into pooled memory (bufferBody): given back when the request is over. */
  private pooledBody: Buffer | null = null;
  bodyStream: UwsBodyStream | null = null;
  upstreamStart = 0;
  upstreamLatency = -1;
  /** Set when a streamed body passed the cap of limitRequestBody. */
  bodyTooLarge = false;
  proxyLatency = 0;
  // response
  status = 0;
  aborted = false;
  finished = false;
  headWritten = false;
  upstreamHeaders: Buffer[] | null = null;
  totalSize = -1;
  bytesSent = 0;
  pending: Buffer | null = null;
  pendingOffset = 0;
  /** Memory for `pending`, reused for every stall of this response (see keepPending). */
  private spare: Buffer | null = null;
  waitingDrain = false;
  writableRegistered = false;
  corkChunk: Buffer | null = null;
  corkError: GatewayError | null = null;
  errorMessage: string | null = null;

  constructor(
    readonly res: uWS.HttpResponse,
    readonly state: ProxyState,
  ) {
    super();
    this.snapshot = state.snapshot;
    this.port = state.port;
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
        if (length > 0) this.bufferBody(length);
        else this.bufferChunkedBody();
        return;
      }
    } else if (length === 0) this.bodyReady = true;
    else if (length > 0 && length <= BUFFER_BODY_LIMIT) this.bufferBody(length);
    else {
      this.streamBody();
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
  private next(): void {
    if (!this.accessDone || !this.bodyReady || this.aborted || this.finished || this.dispatched) return;
    const service = this.rt!.service;
    if (service === null) return this.fail(ERRORS.noService);
    this.dispatched = true;
    queueDispatch(this);
  }

  /** Sends the queued request upstream, unless its client went away meanwhile. */
  dispatchQueued(): void {
    if (this.aborted || this.finished) return;
    this.proxy(this.rt!.service!);
  }

  /** Handed to the upstream client (dispatched: only queued for it). */
  sentUpstream = false;

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
    corking = this;
    this.corkPlugin = r;
    this.res.cork(corkPluginResponse);
    this.corkPlugin = null;
    corking = null;
  }

  /** Writes a plugin's raw-body response (inside cork). */
  writePluginResponse(r: PluginResponse): void {
    if (this.aborted || this.finished) return;
    const res = this.res;
    this.status = r.status;
    if (r.headers !== undefined) this.madeHeaders = r.headers;
    runHeaderPhase(this, r.status);
    res.writeStatus(statusLine(r.status));
    this.writeMadeHeaders(r.headers);
    this.writeOwnHeaders();
    const body = r.body!;
    if (this.method === 'HEAD') {
      // No body on HEAD, but the length a GET would get (proxy-cache hits).
      res.writeHeader('content-length', (typeof body === 'string' ? Buffer.byteLength(body) : body.length) + '');
      res.endWithoutBody(); // (a length argument aborts this uWS build: DESIGN.md)
    } else {
      this.bytesSent = body.length;
      res.end(body, this.hasUnreadBody());
    }
    this.done();
  }

  /** A declared request body that nobody will read: the connection must close after our answer. */
  private hasUnreadBody(): boolean {
    if (this.bodyTooLarge) return true;
    const declared = (this.hContentLength !== undefined && this.hContentLength !== '0') || this.hTransferEncoding !== undefined;
    return declared && !this.sentUpstream && !(this.bodyReady && this.bodyStream === null);
  }

  /** Headers of a gateway-made response, minus those a header-phase plugin removed. */
  private writeMadeHeaders(headers: Readonly<Record<string, string>> | undefined): void {
    if (headers === undefined) return;
    const removed = this.removedResponseHeaders;
    for (const k in headers) {
      if (removed !== null && removed.has(k.toLowerCase())) continue;
      const v = headers[k]!;
      // A plugin's header (a redirect's Location, a mock's fields) never breaks the head.
      if (!isSafeHeaderValue(v) || !isHeaderName(k)) {
        this.errorMessage = 'response header ' + JSON.stringify(k) + ' dropped: not a token, or CR, LF or NUL in the value';
        continue;
      }
      this.res.writeHeader(k, v);
    }
  }

  /** A gateway-made response's own headers and the plugins' in one uWS call (pluginHeaderLines). */
  private writeOwnHeaders(): void {
    this.res.writeHeader('x-sluice-response-latency', this.madeHeaderTail(performance.now() - this.start));
  }

  // ---- PluginContext --------------------------------------------------------------------------

  setRequestBody(body: Buffer): void {
    if (this.requestBody === null) throw new Error('setRequestBody: the request body was not buffered (bufferRequestBody)');
    this.body = body;
    this.requestBody = body;
    this.bodyReplaced = true;
  }

  setUpstreamMethod(method: string): void {
    this.upstreamMethod = method;
  }

  protected originResponseHeader(lower: string): string | undefined {
    if (lower === 'content-length' && this.lengthOverride >= 0) return this.lengthOverride + '';
    const up = this.upstreamHeaders;
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
    const up = this.upstreamHeaders;
    if (up === null) return out;
    const listed = responseConnectionTokens(up);
    for (let i = 0; i < up.length; i += 2) {
      if (isSkippedResponseHeader(up[i]!) !== null) continue;
      if (listed !== null && isListedIn(listed, up[i]!)) continue;
      out.push(up[i]!.toString('latin1').toLowerCase(), up[i + 1]!.toString('latin1'));
    }
    return out;
  }

  limitRequestBody(maxBytes: number): void {
    const s = this.bodyStream;
    if (s === null) return; // buffered bodies have a Content-Length, checked by the plugin
    s.limit = maxBytes;
    if (s.received > maxBytes) this.onBodyTooLarge();
  }

  /** A streamed body passed its cap: 413 if the upstream has not answered yet, else cut the connection. */
  onBodyTooLarge(): void {
    if (this.bodyTooLarge || this.aborted || this.finished) return;
    this.bodyTooLarge = true;
    this.errorMessage = 'request body over the size limit';
    this.bodyStream?.destroy();
    if (!this.dispatched || !this.sentUpstream) return this.fail(ERRORS.bodyTooLarge); // (maybe queued: dispatchQueued skips it)
    // In flight: abort the upstream request; onError answers 413 (or closes if headers went out).
    this.abortUpstream?.(new Error('request body over the size limit'));
  }

  private bufferBody(length: number): void {
    let buf: Buffer;
    if (POOLED_BODIES) buf = this.pooledBody = takeChunk(length);
    else buf = Buffer.allocUnsafe(length);
    let offset = 0;
    this.res.onData((chunk, isLast) => {
      const n = Math.min(chunk.byteLength, length - offset);
      buf.set(new Uint8Array(chunk, 0, n), offset);
      offset += n;
      if (isLast) {
        this.body = offset === length ? buf : buf.subarray(0, offset);
        this.bodyReady = true;
        if (this.accessAfterBody) this.bodyRead();
        else this.next();
      }
    });
  }

  /** A chunked body read whole for a plugin (chain.bufferRequestBody), capped at MAX_BUFFERED_BODY. */
  private bufferChunkedBody(): void {
    const chunks: Buffer[] = [];
    let size = 0;
    this.res.onData((chunk, isLast) => {
      if (this.bodyTooLarge) return;
      size += chunk.byteLength;
      if (size > MAX_BUFFERED_BODY) {
        this.bodyTooLarge = true;
        this.errorMessage = 'request body over SLUICE_MAX_BUFFERED_BODY';
        return this.fail(ERRORS.bodyTooLarge);
      }
      if (chunk.byteLength > 0) chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
      if (isLast) {
        this.body = Buffer.concat(chunks, size);
        this.bodyReady = true;
        this.bodyRead();
      }
    });
  }

  /** The whole body is in (accessAfterBody): expose it to plugins and run the access phase. */
  private bodyRead(): void {
    if (this.aborted || this.finished) return;
    this.requestBody = this.body as Buffer;
    runAccess(this, this.chain!, 0);
  }

  private streamBody(): void {
    const stream = new UwsBodyStream(this.res, this);
    this.bodyStream = stream;
    this.body = stream;
    this.res.onData((chunk, isLast) => stream.onChunk(chunk, isLast));
  }

  // ---- upstream -------------------------------------------------------------------------------

  private proxy(service: ServiceRuntime): void {
    const balancer = service.balancer;
    const peer = balancer.pick(balancer.needsHashKey ? this.hashInput(service) : null, this.peer);
    if (peer === null) return this.fail(ERRORS.noHealthyTarget);
    this.peer = peer;
    peer.active++;
    this.attempts++;
    const match = this.match!;
    const rt = this.rt!;
    // Upstream headers: the client's minus hop-by-hop and the ones we set, plus ours.
    const out: string[] = [];
    const overrides = this.upstreamOverrides;
    copyEndToEndHeaders(out, this.rawHeaders, this.hConnection, overrides);
    const hostAt = out.length + 1;
    appendForwardedHeaders(out, this, this.state.tls, this.state.portText, match.strippedPrefix, rt.route.preserve_host, peer.hostHeader);
    // Up to here every name and value came from uWS's parser or from the gateway: no CR/LF.
    let trusted = out.length;
    if (overrides !== null) {
      for (const [k, v] of overrides) {
        if (v === null) continue;
        if (k === 'host') {
          out[hostAt] = v; // a plugin's Host replaces the gateway's
          trusted = hostAt - 1;
        } else out.push(k, v);
      }
    }
    if (this.consumer !== null) pushConsumerHeaders(out, this.consumer, this.credentialId, this.anonymous, this.hideConsumerGroups, this.snapshot.consumers);
    if (this.requestBody !== null) {
      // Read whole for a plugin (maybe replaced, maybe chunked by the client): a known length.
      const body = this.body as Buffer | null;
      if (body !== null && (body.length > 0 || this.bodyReplaced || this.hContentLength !== undefined)) out.push('content-length', body.length + '');
    } else {
      const cl = this.hContentLength;
      if (cl !== undefined) out.push('content-length', cl);
    }

    // Bytes are bytes (bytes.ts): what came from the client goes out as the bytes it came as;
    // what plugins and the gateway added is checked for CR, LF and NUL (and sent as UTF-8).
    if (this.nonPlain) for (let i = 1; i < trusted; i += 2) out[i] = wireValue(out[i]!);
    for (let i = trusted + 1; i < out.length; i += 2) {
      const v = out[i]!;
      if (!isSafeHeaderValue(v)) {
        return this.refuseUpstreamHead('upstream header ' + out[i - 1]! + ': value holds CR, LF or NUL');
      }
      out[i] = wireValue(v);
    }
    trusted = out.length;
    const query = this.upstreamQuery ?? this.query;
    const upstreamPath = this.upstreamPath ?? match.upstreamPath;
    let path = query === '' && (this.upstreamQuery !== null || !this.bareQuery) ? upstreamPath : upstreamPath + '?' + query;
    if (this.nonPlain || this.upstreamPath !== null || this.upstreamQuery !== null) {
      const wire = wireTarget(path);
      if (wire === null) {
        return this.refuseUpstreamHead('upstream request target holds a space or control character');
      }
      path = wire;
    }
    const method = this.upstreamMethod ?? this.method;
    this.upstreamStart = performance.now();
    if (this.attempts === 1) this.proxyLatency = this.upstreamStart - this.start;
    const opts: UpstreamRequest = {
      path,
      method,
      headers: out,
      body: this.body,
      headersTimeout: service.readTimeout,
      bodyTimeout: service.readTimeout,
      idempotent: isIdempotent(method),
      trustedHeaders: trusted,
    };
    this.sentUpstream = true;
    try {
      peer.pool.dispatch(opts, this);
    } catch (err) {
      this.onError(err as Error, UpstreamErrorKind.ResetBeforeResponse);
    }
  }

  /** A plugin or the gateway made a head that cannot be sent: 500, nothing goes upstream. */
  private refuseUpstreamHead(message: string): void {
    const peer = this.peer;
    if (peer !== null) peer.active--;
    this.peer = null;
    this.errorMessage = message;
    this.fail(ERRORS.internal);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.aborted) abort();
  }

  /** The consistent-hashing key per the upstream's hash_on (then hash_fallback). */
  private hashInput(service: ServiceRuntime): BalanceInput {
    const u = service.upstream!;
    return { hashKey: this.hashOn(u.hash_on, u) ?? this.hashOn(u.hash_fallback, u) };
  }

  private hashOn(on: Upstream['hash_on'], u: Upstream): string | null {
    switch (on) {
      case 'ip':
        return this.clientIp;
      case 'consumer':
        return this.consumer?.id ?? this.credentialId;
      case 'header':
        return u.hash_on_header === null ? null : this.headers[u.hash_on_header.toLowerCase()] ?? null;
      case 'cookie':
        return u.hash_on_cookie === null ? null : cookieValue(this.headers.cookie, u.hash_on_cookie);
      case 'path':
        return this.path;
      default:
        return null;
    }
  }

  onHeaders(statusCode: number, headers: Buffer[], resume: () => void): boolean {
    this.responseStarted = true; // from now on no retry: the upstream has processed the request
    if (statusCode < 200) return true; // 1xx informational: not forwarded
    const peer = this.peer;
    if (peer !== null && peer.passive !== null) peer.passive.status(peer, statusCode);
    this.upstreamLatency = performance.now() - this.upstreamStart;
    this.status = statusCode;
    this.upstreamHeaders = headers;
    this.resumeUpstream = resume;
    if (this.aborted) return false;
    const chain = this.chain;
    if (chain !== null && chain.bufferResponse != null && this.method !== 'HEAD' && statusCode !== 204 && statusCode !== 304) {
      const want = this.askBufferResponse(chain.bufferResponse, statusCode);
      if (want > 0) {
        // Held whole for the body phase: the head is written with the (new) body at the end.
        this.respChunks = [];
        this.respBytes = 0;
        this.respLimit = Math.min(want, MAX_BUFFERED_BODY);
        return true;
      }
    }
    this.headPending = true; // written with the first body bytes (see "deferred response heads")
    return true;
  }

  headPending = false;
  /** A byte of response arrived from the upstream (no retry after that: SPEC §4). */
  responseStarted = false;

  private askBufferResponse(fns: NonNullable<Chain['bufferResponse']>, status: number): number {
    let want = 0;
    for (let i = 0; i < fns.length; i++) {
      try {
        const n = fns[i]!(this, status);
        if (n > want) want = n;
      } catch (err) {
        this.errorMessage = 'plugin bufferResponseBody: ' + (err as Error).message;
      }
    }
    return want;
  }

  /** A chunk of a response held for the body phase; past the cap, everything streams unchanged. */
  private holdChunk(chunk: Buffer): boolean {
    const chunks = this.respChunks!;
    this.respBytes += chunk.length;
    chunks.push(Buffer.from(chunk)); // lent by the upstream client (copiesData)
    if (this.respBytes <= this.respLimit) return true;
    this.respChunks = null;
    this.headPending = true;
    corking = this;
    this.corkChunk = Buffer.concat(chunks, this.respBytes);
    this.res.cork(corkWriteChunk);
    this.corkChunk = null;
    corking = null;
    return this.pending === null && !this.waitingDrain;
  }

  /** The held response is complete: body phase (priority order), then head and body in one cork. */
  private finishHeld(): void {
    const chunks = this.respChunks!;
    this.respChunks = null;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.respBytes);
    runBodyPhase(this, this.status, body, (b) => this.writeHeld(b));
  }

  /** Kong's kong.response.exit in the response phase: the client gets this status instead. */
  setResponseStatus(status: number): void {
    this.status = status;
  }

  /** The held response after its body phase: head and body in one cork. */
  private writeHeld(body: Buffer): void {
    this.lengthOverride = body.length;
    corking = this;
    this.corkChunk = body;
    this.res.cork(corkBuffered);
    this.corkChunk = null;
    corking = null;
  }

  /** Writes status and headers (inside cork). For bodiless responses, ends right away. */
  writeHead(): void {
    const res = this.res;
    this.headPending = false;
    const headers = this.upstreamHeaders!;
    const status = this.status;
    runHeaderPhase(this, status);
    const removed = this.removedResponseHeaders;
    res.writeStatus(statusLine(status));
    let upstreamVia: string | null = null;
    let length = -1;
    let coded = false;
    // Headers the upstream's Connection names are hop-by-hop too (RFC 9110 §7.6.1).
    const listed = responseConnectionTokens(headers);
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const skipped = isSkippedResponseHeader(name);
      if (skipped !== null) {
        if (skipped === 'content-length') length = Number(headers[i + 1]!.toString('latin1'));
        else if (skipped === 'via') upstreamVia = headers[i + 1]!.toString('latin1');
        else if (skipped === 'transfer-encoding') coded = true;
        continue;
      }
      if (removed !== null && removed.has(name.toString('latin1').toLowerCase())) continue;
      if (listed !== null && isListedIn(listed, name)) continue;
      res.writeHeader(name, headers[i + 1]!);
    }
    // Transfer-Encoding with Content-Length (RFC 9112 §6.3): the coding frames the body, the
    // length is wrong by definition and is dropped (the parser read the body as chunked).
    if (coded) length = -1;
    if (this.lengthOverride >= 0) length = this.lengthOverride;
    // Via, the two latency headers and the plugins' headers in one uWS call (it writes
    // `name: value\r\n` verbatim): one native crossing instead of one per header.
    res.writeHeader('via', this.proxiedHeaderTail(upstreamVia, this.upstreamLatency, this.proxyLatency));
    this.headWritten = true;
    if (this.method === 'HEAD' || status === 204 || status === 304) {
      if (length >= 0 && status !== 204) res.writeHeader('content-length', length + '');
      this.totalSize = 0;
      this.bodiless = true;
      return;
    }
    this.totalSize = Number.isFinite(length) ? length : -1;
  }

  bodiless = false;

  /** Arrived on the TLS listener (access log). */
  get tls(): boolean {
    return this.state.tls;
  }

  /**
   * onData's chunk may be a view of the upstream client's read buffer, valid only during the
   * call: uWS copies what it writes or buffers, and holdChunk and a pending tryEnd copy.
   */
  readonly copiesData = true;

  onData(chunk: Buffer): boolean {
    if (this.aborted || this.finished) return false;
    if (this.bodiless && !this.headPending) return true;
    if (this.respChunks !== null) return this.holdChunk(chunk);
    corking = this;
    this.corkChunk = chunk;
    this.res.cork(corkWriteChunk);
    this.corkChunk = null;
    corking = null;
    return this.pending === null && !this.waitingDrain;
  }

  /** Writes one body chunk (inside cork), remembering what uWS could not take. */
  writeChunk(chunk: Buffer): void {
    const res = this.res;
    if (this.totalSize >= 0) {
      if (this.bytesSent === 0 && chunk.length === this.totalSize && chunk.length <= END_WHOLE_LIMIT) {
        // The whole (small) body in one piece (most responses): uWS takes it all, buffering what
        // the socket cannot, and the response is complete. A larger one goes through tryEnd, so
        // that the request finishes (and is logged) when its last byte was written, not when uWS
        // took a copy: a client that goes away before is logged as cut, not as a clean 200.
        this.bytesSent = chunk.length;
        res.end(chunk);
        this.finishOk();
        return;
      }
      const offset = res.getWriteOffset();
      const [ok, done] = res.tryEnd(chunk, this.totalSize);
      this.bytesSent += chunk.length;
      if (done) {
        this.finishOk();
      } else if (!ok) {
        this.pending = this.keepPending(chunk);
        this.pendingOffset = offset;
        this.watchWritable();
      }
    } else {
      this.bytesSent += chunk.length;
      if (!res.write(chunk)) {
        this.waitingDrain = true;
        this.watchWritable();
      }
    }
  }

  /**
   * A copy of a chunk uWS could not take whole (the chunk may be lent by the upstream client:
   * copiesData). The upstream stays paused until the copy is sent, so one buffer per response
   * serves every stall: a long download to a slow client does not leave a garbage copy per stall.
   */
  private keepPending(chunk: Buffer): Buffer {
    let spare = this.spare;
    if (spare === null || spare.length < chunk.length || this.pending !== null) {
      spare = Buffer.allocUnsafe(chunk.length > 65536 ? chunk.length : 65536);
      if (this.pending === null) this.spare = spare;
    }
    chunk.copy(spare);
    return spare.subarray(0, chunk.length);
  }

  private watchWritable(): void {
    if (this.writableRegistered) return;
    this.writableRegistered = true;
    this.res.onWritable((offset) => this.onWritable(offset));
  }

  /** The one onWritable handler of this response (DESIGN.md: never re-register). */
  private onWritable(offset: number): boolean {
    if (this.aborted || this.finished) return true;
    if (this.pending !== null) {
      const chunk = this.pending.subarray(offset - this.pendingOffset);
      const [ok, done] = this.res.tryEnd(chunk, this.totalSize);
      if (done) {
        this.pending = null;
        this.finishOk();
        return true;
      }
      if (!ok) return false;
      this.pending = null;
    }
    this.waitingDrain = false;
    this.resumeUpstream?.();
    return true;
  }

  onComplete(): void {
    if (this.aborted || this.finished) return;
    if (this.respChunks !== null) return this.finishHeld();
    corking = this;
    this.res.cork(corkFinish);
    corking = null;
  }

  /** Ends the response when the upstream body is complete (inside cork). */
  finishBody(): void {
    if (this.finished) return;
    const res = this.res;
    if (this.bodiless) {
      res.endWithoutBody();
    } else if (this.totalSize >= 0) {
      if (this.pending !== null) return; // onWritable will finish it
      if (this.totalSize === 0) res.end();
      else {
        // Upstream sent fewer bytes than it announced: the response cannot be completed.
        res.close();
        this.errorMessage = 'upstream body shorter than its content-length';
      }
    } else {
      res.end();
    }
    this.finishOk();
  }

  onError(err: Error, kind: UpstreamErrorKind): void {
    const peer = this.peer;
    if (peer !== null) peer.active--;
    this.peer = null;
    if (this.finished || this.aborted) {
      if (!this.finished) this.done();
      return;
    }
    if (peer !== null && peer.passive !== null && !this.aborted && !this.bodyTooLarge) {
      if (kind === UpstreamErrorKind.ConnectTimeout || kind === UpstreamErrorKind.HeadersTimeout) peer.passive.failure(peer, 'timeout');
      else if (!this.headWritten) peer.passive.failure(peer, 'tcp_failure');
    }
    this.headPending = false; // a head received but not yet written is dropped with its response
    this.respChunks = null;
    if (this.bodyTooLarge) {
      if (this.headWritten) {
        this.res.close();
        this.done();
        return;
      }
      return this.fail(ERRORS.bodyTooLarge);
    }
    this.errorMessage = err.message;
    if (this.headWritten) {
      // Too late for an error response: cut the connection so the client sees a failure.
      this.res.close();
      this.done();
      return;
    }
    const service = this.rt!.service!;
    if (this.attempts <= service.retries && this.canRetry(kind)) {
      this.peer = peer;
      this.upstreamHeaders = null;
      return this.proxy(service);
    }
    corking = this;
    this.corkError = isTimeout(kind) ? ERRORS.upstreamTimeout : ERRORS.badGateway;
    this.res.cork(corkError);
    corking = null;
  }

  /** A retry is safe when nothing reached the upstream application: idempotent, body replayable. */
  private canRetry(kind: UpstreamErrorKind): boolean {
    // Not once a byte of response arrived (SPEC §4): a head, part of one (the client's kind
    // says so), a malformed one, or a socket closed under a client that does not tell.
    return isIdempotent(this.method) && !this.responseStarted && this.bodyStream === null && isRetryable(kind);
  }

  private finishOk(): void {
    if (this.finished) return;
    const peer = this.peer;
    if (peer !== null) peer.active--;
    this.peer = null;
    this.done();
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

  /** Close the connection after the response (framing in doubt). */
  closeAfter = false;

  /** Answers with a gateway error, corked (may be called outside the handler's tick). */
  fail(err: GatewayError): void {
    if (this.aborted || this.finished) return; // (uWS throws on any use of an aborted response)
    corking = this;
    this.corkError = err;
    this.res.cork(corkError);
    corking = null;
  }

  sendError(err: GatewayError): void {
    if (this.aborted || this.finished) return;
    const res = this.res;
    this.status = err.status;
    this.madeHeaders = err.headers ?? ERROR_HEADERS;
    if (this.rt !== null) runHeaderPhase(this, err.status);
    res.writeStatus(statusLine(err.status));
    if (this.removedResponseHeaders === null || !this.removedResponseHeaders.has('content-type')) res.writeHeader('content-type', 'application/json; charset=utf-8');
    this.writeMadeHeaders(err.headers);
    this.writeOwnHeaders();
    const body = errorBodyFast(err.message, this.requestId);
    this.bytesSent = body.length;
    // A request body we never read would desynchronise the connection: close it after the answer.
    res.end(body, this.closeAfter || this.hasUnreadBody());
    if (this.errorMessage === null && err.status >= 500) this.errorMessage = err.message;
    this.done();
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  private onClientAborted(): void {
    this.aborted = true;
    if (!this.finished) {
      if (this.status === 0) this.status = 499;
      // A response whose head went out is cut short: logged with the bytes handed over and this.
      // (Set before the upstream is aborted: its onError finishes, and logs, the request.)
      this.errorMessage ??= this.headWritten ? 'cut: the client closed the connection before the end of the response' : 'client closed the connection';
    }
    this.bodyStream?.destroy();
    if (this.abortUpstream !== null) this.abortUpstream(new Error('client aborted'));
    else if (!this.finished) this.done();
  }

  private done(): void {
    if (this.finished) return;
    this.finished = true;
    const pooled = this.pooledBody;
    // Our hold on a pooled body ends here, unless uWS may still be writing into it (not all of
    // it has arrived) or a plugin saw it (requestBody): those are left to the GC. Upstream
    // writes still in flight hold it on their own (chunk-pool.ts).
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

/** A request body read from uWS, with backpressure: uWS pauses while undici is not draining. */
/** The value of cookie `name` in a Cookie header, or null. */
function cookieValue(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

class UwsBodyStream extends Readable {
  private paused = false;
  private ended = false;
  /** Bytes received so far, and the cap set by limitRequestBody (-1: none). */
  received = 0;
  limit = -1;

  constructor(
    private readonly res: uWS.HttpResponse,
    private readonly owner: ProxyRequest,
  ) {
    super({ highWaterMark: 256 * 1024 });
  }

  onChunk(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.destroyed) return;
    this.received += chunk.byteLength;
    if (this.limit >= 0 && this.received > this.limit) return this.owner.onBodyTooLarge();
    if (chunk.byteLength > 0) {
      // uWS lends the chunk for this call only; the upstream client gives the copy's memory
      // back once written (chunk-pool.ts).
      if (!this.push(copyChunk(chunk)) && !isLast && !this.paused) {
        this.paused = true;
        this.res.pause();
      }
    }
    if (isLast) {
      this.ended = true;
      this.push(null);
    }
  }

  override _read(): void {
    if (this.paused && !this.ended && !this.destroyed) {
      this.paused = false;
      this.res.resume();
    }
  }
}
