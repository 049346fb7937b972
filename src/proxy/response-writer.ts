/**
 * The client's response of an HTTP request: what is written to uWS and when. A proxied head is
 * written with the first body bytes (see below), bodies with uWS's backpressure (one onWritable
 * handler per response), gateway errors and plugin answers as whole responses. Every write made
 * outside uWS's own callback goes through `corked` (cork.ts).
 *
 * Deferred heads: a response head is written in the cork of its first body bytes (or of the end,
 * for bodiless and empty responses). uWS 20.30 cannot send a head alone (it ends the header
 * section with the first body write), so writing it earlier would only cost a second cork. A head
 * whose body never comes is dropped with the error response that replaces it (502/504 instead of
 * a cut connection).
 */
import { performance } from 'node:perf_hooks';
import type uWS from '../uws/index.js';
import type { PluginResponse } from '../plugins/types.js';
import { isHeaderName, isSafeHeaderValue } from './bytes.js';
import { corked } from './cork.js';
import { errorBodyFast, type GatewayError } from './errors.js';
import { isListedIn, isSkippedResponseHeader, responseConnectionTokens } from './headers.js';
import type { ProxyRequest } from './http.js';
import { runBodyPhase, runHeaderPhase } from './plugin-phases.js';
import { statusLine } from './status.js';

/** Largest body handed to uWS whole with `end` (at most about what a socket buffer takes at once). */
const END_WHOLE_LIMIT = 64 * 1024;
const ERROR_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json; charset=utf-8' };

export class ResponseWriter {
  /** The upstream's response head, raw [name, value, ...] (lent by the client until the request ends). */
  upstreamHeaders: Buffer[] | null = null;
  /** A proxied head waits for its first body bytes (see above). */
  headPending = false;
  headWritten = false;
  bodiless = false;
  /** Content-Length of the body being written, -1 when unknown (written as it comes). */
  totalSize = -1;
  /** Content-Length of a response whose body a plugin replaced. */
  lengthOverride = -1;
  /** Resumes the upstream once uWS took what it could not (set by the upstream exchange). */
  resume: (() => void) | null = null;
  /** Response body held for the `body` phase (chain.bufferResponse), and its cap. */
  private held: Buffer[] | null = null;
  private heldBytes = 0;
  private heldLimit = 0;
  private pending: Buffer | null = null;
  private pendingOffset = 0;
  /** Memory for `pending`, reused for every stall of this response (see keepPending). */
  private spare: Buffer | null = null;
  private waitingDrain = false;
  private writableRegistered = false;
  /** What a corked callback below writes (the cork helper passes only the writer). */
  chunk: Buffer | null = null;
  error: GatewayError | null = null;
  plugin: PluginResponse | null = null;

  constructor(
    readonly res: uWS.HttpResponse,
    private readonly r: ProxyRequest,
  ) {}

  // ---- proxied responses ----------------------------------------------------------------------

  /** The upstream's head (upstreamHeaders) is here: held for the body phase (`holdLimit` > 0) or written with the first bytes. */
  accept(holdLimit: number): void {
    if (holdLimit > 0) {
      this.held = [];
      this.heldBytes = 0;
      this.heldLimit = holdLimit;
    } else this.headPending = true;
  }

  /** A chunk of the upstream's body; false asks the upstream to pause (resume() goes on). */
  data(chunk: Buffer): boolean {
    if (this.bodiless && !this.headPending) return true;
    if (this.held !== null) return this.hold(chunk);
    this.chunk = chunk;
    corked(this.res, writeChunkCorked, this);
    this.chunk = null;
    return this.pending === null && !this.waitingDrain;
  }

  /** The upstream's body is complete. */
  complete(): void {
    if (this.held !== null) return this.finishHeld();
    corked(this.res, finishCorked, this);
  }

  /** The upstream failed: a head received but not yet written is dropped with its response. */
  dropHead(): void {
    this.headPending = false;
    this.held = null;
  }

  /** Too late for an error response: cut the connection so the client sees a failure. */
  cut(): void {
    this.res.close();
  }

  /** A chunk of a response held for the body phase; past the cap, everything streams unchanged. */
  private hold(chunk: Buffer): boolean {
    const chunks = this.held!;
    this.heldBytes += chunk.length;
    chunks.push(Buffer.from(chunk)); // lent by the upstream client (copiesData)
    if (this.heldBytes <= this.heldLimit) return true;
    this.held = null;
    this.headPending = true;
    this.chunk = Buffer.concat(chunks, this.heldBytes);
    corked(this.res, writeChunkCorked, this);
    this.chunk = null;
    return this.pending === null && !this.waitingDrain;
  }

  /** The held response is complete: body phase (priority order), then head and body in one cork. */
  private finishHeld(): void {
    const chunks = this.held!;
    this.held = null;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.heldBytes);
    runBodyPhase(this.r, this.r.status, body, (b) => this.writeHeld(b));
  }

  private writeHeld(body: Buffer): void {
    this.lengthOverride = body.length;
    this.chunk = body;
    corked(this.res, writeHeldCorked, this);
    this.chunk = null;
  }

  /** Writes status and headers (inside cork). For bodiless responses, only notes that there is no body. */
  writeHead(): void {
    const res = this.res;
    const r = this.r;
    this.headPending = false;
    const headers = this.upstreamHeaders!;
    const status = r.status;
    runHeaderPhase(r, status);
    const removed = r.removedResponseHeaders;
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
    res.writeHeader('via', r.proxiedTail(upstreamVia));
    this.headWritten = true;
    if (r.method === 'HEAD' || status === 204 || status === 304) {
      if (length >= 0 && status !== 204) res.writeHeader('content-length', length + '');
      this.totalSize = 0;
      this.bodiless = true;
      return;
    }
    this.totalSize = Number.isFinite(length) ? length : -1;
  }

  /** Writes one body chunk (inside cork), remembering what uWS could not take. */
  writeChunk(chunk: Buffer): void {
    const res = this.res;
    const r = this.r;
    if (this.totalSize >= 0) {
      if (r.bytesSent === 0 && chunk.length === this.totalSize && chunk.length <= END_WHOLE_LIMIT) {
        // The whole (small) body in one piece (most responses): uWS takes it all, buffering what
        // the socket cannot, and the response is complete. A larger one goes through tryEnd, so
        // that the request finishes (and is logged) when its last byte was written, not when uWS
        // took a copy: a client that goes away before is logged as cut, not as a clean 200.
        r.bytesSent = chunk.length;
        res.end(chunk);
        r.done();
        return;
      }
      const offset = res.getWriteOffset();
      const [ok, done] = res.tryEnd(chunk, this.totalSize);
      r.bytesSent += chunk.length;
      if (done) {
        r.done();
      } else if (!ok) {
        this.pending = this.keepPending(chunk);
        this.pendingOffset = offset;
        this.watchWritable();
      }
    } else {
      r.bytesSent += chunk.length;
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
    const r = this.r;
    if (r.aborted || r.finished) return true;
    if (this.pending !== null) {
      const chunk = this.pending.subarray(offset - this.pendingOffset);
      const [ok, done] = this.res.tryEnd(chunk, this.totalSize);
      if (done) {
        this.pending = null;
        r.done();
        return true;
      }
      if (!ok) return false;
      this.pending = null;
    }
    this.waitingDrain = false;
    this.resume?.();
    return true;
  }

  /** Ends the response when the upstream body is complete (inside cork). */
  finishBody(): void {
    const r = this.r;
    if (r.finished) return;
    const res = this.res;
    if (this.bodiless) {
      res.endWithoutBody();
    } else if (this.totalSize >= 0) {
      if (this.pending !== null) return; // onWritable will finish it
      if (this.totalSize === 0) res.end();
      else {
        // Upstream sent fewer bytes than it announced: the response cannot be completed.
        res.close();
        r.errorMessage = 'upstream body shorter than its content-length';
      }
    } else {
      res.end();
    }
    r.done();
  }

  // ---- gateway-made responses -----------------------------------------------------------------

  /** Answers with a gateway error, corked (may be called outside the handler's tick). */
  fail(err: GatewayError): void {
    this.error = err;
    corked(this.res, sendErrorCorked, this);
    this.error = null;
  }

  /** A plugin's raw-body response (auth failure, rate limit, mock...), corked. */
  answer(p: PluginResponse): void {
    this.plugin = p;
    corked(this.res, pluginResponseCorked, this);
    this.plugin = null;
  }

  /** Writes a gateway error (inside cork). */
  sendError(err: GatewayError): void {
    const r = this.r;
    if (r.aborted || r.finished) return;
    const res = this.res;
    r.status = err.status;
    r.madeHeaders = err.headers ?? ERROR_HEADERS;
    if (r.rt !== null) runHeaderPhase(r, err.status);
    res.writeStatus(statusLine(err.status));
    if (r.removedResponseHeaders === null || !r.removedResponseHeaders.has('content-type')) res.writeHeader('content-type', 'application/json; charset=utf-8');
    this.writeMadeHeaders(err.headers);
    this.writeOwnHeaders();
    const body = errorBodyFast(err.message, r.requestId);
    r.bytesSent = body.length;
    // A request body we never read would desynchronise the connection: close it after the answer.
    res.end(body, r.closeAfter || r.hasUnreadBody());
    if (r.errorMessage === null && err.status >= 500) r.errorMessage = err.message;
    r.done();
  }

  /** Writes a plugin's raw-body response (inside cork). */
  writePluginResponse(p: PluginResponse): void {
    const r = this.r;
    if (r.aborted || r.finished) return;
    const res = this.res;
    r.status = p.status;
    if (p.headers !== undefined) r.madeHeaders = p.headers;
    runHeaderPhase(r, p.status);
    res.writeStatus(statusLine(p.status));
    this.writeMadeHeaders(p.headers);
    this.writeOwnHeaders();
    const body = p.body!;
    if (r.method === 'HEAD') {
      // No body on HEAD, but the length a GET would get (proxy-cache hits).
      res.writeHeader('content-length', (typeof body === 'string' ? Buffer.byteLength(body) : body.length) + '');
      res.endWithoutBody(); // (a length argument aborts this uWS build: DESIGN.md)
    } else {
      r.bytesSent = body.length;
      res.end(body, r.hasUnreadBody());
    }
    r.done();
  }

  /** Headers of a gateway-made response, minus those a header-phase plugin removed. */
  private writeMadeHeaders(headers: Readonly<Record<string, string>> | undefined): void {
    if (headers === undefined) return;
    const removed = this.r.removedResponseHeaders;
    for (const k in headers) {
      if (removed !== null && removed.has(k.toLowerCase())) continue;
      const v = headers[k]!;
      // A plugin's header (a redirect's Location, a mock's fields) never breaks the head.
      if (!isSafeHeaderValue(v) || !isHeaderName(k)) {
        this.r.errorMessage = 'response header ' + JSON.stringify(k) + ' dropped: not a token, or CR, LF or NUL in the value';
        continue;
      }
      this.res.writeHeader(k, v);
    }
  }

  /** A gateway-made response's own headers and the plugins' in one uWS call (pluginHeaderLines). */
  private writeOwnHeaders(): void {
    this.res.writeHeader('x-sluice-response-latency', this.r.madeTail(performance.now() - this.r.start));
  }
}

// ---- corked callbacks (static: `corked` passes the writer, nothing is allocated per write) ------

function writeChunkCorked(w: ResponseWriter): void {
  if (w.headPending) w.writeHead();
  if (!w.bodiless) w.writeChunk(w.chunk!);
}

function writeHeldCorked(w: ResponseWriter): void {
  const body = w.chunk!;
  w.writeHead();
  if (w.bodiless || body.length === 0) w.finishBody();
  else w.writeChunk(body);
}

function finishCorked(w: ResponseWriter): void {
  if (w.headPending) w.writeHead();
  w.finishBody();
}

function sendErrorCorked(w: ResponseWriter): void {
  w.sendError(w.error!);
}

function pluginResponseCorked(w: ResponseWriter): void {
  w.writePluginResponse(w.plugin!);
}
