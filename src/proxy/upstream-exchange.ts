/**
 * The upstream side of an HTTP request: builds the request the upstream gets (headers, target,
 * body), sends it through the service's client (snapshot: retry.ts → balanced.ts → the peer's
 * client) and is that client's handler: the response head and body go to the ResponseWriter, a
 * final failure becomes a 502/504 (or a cut connection once the head went out). Retries, the
 * choice of peer and passive health are the wrapping clients' business, not this file's.
 */
import { performance } from 'node:perf_hooks';
import type { Upstream } from '../config/types.js';
import type { ServiceRuntime } from '../snapshot/types.js';
import type { BalanceInput } from '../upstream/balancer.js';
import type { ServiceRequest } from '../upstream/balanced.js';
import { UpstreamErrorKind, isTimeout, type UpstreamHandler } from '../upstream/client.js';
import { isSafeHeaderValue, wireTarget, wireValue } from './bytes.js';
import { ERRORS } from './errors.js';
import { appendForwardedHeaders, copyEndToEndHeaders } from './forwarded.js';
import type { ProxyRequest } from './http.js';
import { askBufferResponse, pushConsumerHeaders } from './plugin-phases.js';
import { MAX_BUFFERED_BODY } from './request-body.js';
import type { ResponseWriter } from './response-writer.js';

/** Methods a request may be retried with (RFC 9110 §9.2.2), by comparison rather than hashing. */
function isIdempotent(m: string): boolean {
  return m === 'GET' || m === 'HEAD' || m === 'OPTIONS' || m === 'PUT' || m === 'DELETE' || m === 'TRACE';
}

export class UpstreamExchange implements UpstreamHandler {
  /** Cancels the attempt in flight (its onError follows). */
  abort: ((err?: Error) => void) | null = null;
  /** The request as sent (the balancer records each attempt's peer in it). */
  private req: ServiceRequest | null = null;
  /** performance.now() when the current attempt was sent. */
  private sentAt = 0;

  /**
   * onData's chunk may be a view of the upstream client's read buffer, valid only during the
   * call: uWS copies what it writes or buffers, and the writer's hold and pending copies copy.
   */
  readonly copiesData = true;

  constructor(
    private readonly r: ProxyRequest,
    private readonly out: ResponseWriter,
  ) {}

  /** Builds the upstream request and sends it. */
  send(service: ServiceRuntime): void {
    const r = this.r;
    const match = r.match!;
    const rt = r.rt!;
    // Upstream headers: the client's minus hop-by-hop and the ones we set, plus ours.
    const out: string[] = [];
    const overrides = r.upstreamOverrides;
    copyEndToEndHeaders(out, r.rawHeaders, r.hConnection, overrides);
    const hostAt = out.length + 1;
    const preserveHost = rt.route.preserve_host;
    // The Host value is the peer's unless preserve_host: balanced.ts fills it in per attempt.
    appendForwardedHeaders(out, r, r.state.tls, r.state.portText, match.strippedPrefix, preserveHost, '');
    let peerHost = preserveHost && r.host !== '' ? -1 : hostAt;
    // Up to here every name and value came from uWS's parser or from the gateway: no CR/LF.
    let trusted = out.length;
    if (overrides !== null) {
      for (const [k, v] of overrides) {
        if (v === null) continue;
        if (k === 'host') {
          out[hostAt] = v; // a plugin's Host replaces the gateway's
          trusted = hostAt - 1;
          peerHost = -1;
        } else out.push(k, v);
      }
    }
    if (r.consumer !== null) pushConsumerHeaders(out, r.consumer, r.credentialId, r.anonymous, r.hideConsumerGroups, r.snapshot.consumers);
    if (r.requestBody !== null) {
      // Read whole for a plugin (maybe replaced, maybe chunked by the client): a known length.
      const body = r.body as Buffer | null;
      if (body !== null && (body.length > 0 || r.bodyReplaced || r.hContentLength !== undefined)) out.push('content-length', body.length + '');
    } else {
      const cl = r.hContentLength;
      if (cl !== undefined) out.push('content-length', cl);
    }

    // Bytes are bytes (bytes.ts): what came from the client goes out as the bytes it came as;
    // what plugins and the gateway added is checked for CR, LF and NUL (and sent as UTF-8).
    if (r.nonPlain) for (let i = 1; i < trusted; i += 2) out[i] = wireValue(out[i]!);
    for (let i = trusted + 1; i < out.length; i += 2) {
      const v = out[i]!;
      if (!isSafeHeaderValue(v)) return this.refuseHead('upstream header ' + out[i - 1]! + ': value holds CR, LF or NUL');
      out[i] = wireValue(v);
    }
    trusted = out.length;
    const query = r.upstreamQuery ?? r.query;
    const upstreamPath = r.upstreamPath ?? match.upstreamPath;
    let path = query === '' && (r.upstreamQuery !== null || !r.bareQuery) ? upstreamPath : upstreamPath + '?' + query;
    if (r.nonPlain || r.upstreamPath !== null || r.upstreamQuery !== null) {
      const wire = wireTarget(path);
      if (wire === null) return this.refuseHead('upstream request target holds a space or control character');
      path = wire;
    }
    const method = r.upstreamMethod ?? r.method;
    const req: ServiceRequest = {
      path,
      method,
      headers: out,
      body: r.body,
      headersTimeout: service.readTimeout,
      bodyTimeout: service.readTimeout,
      idempotent: isIdempotent(method),
      trustedHeaders: trusted,
      hostAt: peerHost,
      hash: service.balancer.needsHashKey ? this.hashInput(service) : null,
      peer: null,
      // Retried only as the client sent it: an idempotent method, a body that can be sent again.
      replayable: isIdempotent(r.method) && r.bodyStream === null,
    };
    r.sentUpstream = true;
    this.req = req;
    service.client.dispatch(req, this);
  }

  /** A plugin or the gateway made a head that cannot be sent: 500, nothing goes upstream. */
  private refuseHead(message: string): void {
    this.r.errorMessage = message;
    this.r.fail(ERRORS.internal);
  }

  /** The consistent-hashing key per the upstream's hash_on (then hash_fallback). */
  private hashInput(service: ServiceRuntime): BalanceInput {
    const u = service.upstream!;
    return { hashKey: this.hashOn(u.hash_on, u) ?? this.hashOn(u.hash_fallback, u) };
  }

  private hashOn(on: Upstream['hash_on'], u: Upstream): string | null {
    const r = this.r;
    switch (on) {
      case 'ip':
        return r.clientIp;
      case 'consumer':
        return r.consumer?.id ?? r.credentialId;
      case 'header':
        return u.hash_on_header === null ? null : r.headers[u.hash_on_header.toLowerCase()] ?? null;
      case 'cookie':
        return u.hash_on_cookie === null ? null : cookieValue(r.headers.cookie, u.hash_on_cookie);
      case 'path':
        return r.path;
      default:
        return null;
    }
  }

  // ---- UpstreamHandler ------------------------------------------------------------------------

  onAttempt(): void {
    const r = this.r;
    this.sentAt = performance.now();
    if (++r.attempts === 1) r.proxyLatency = this.sentAt - r.start;
    r.tried(this.req!.peer!); // the balancer set it for this attempt
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    if (this.r.aborted) abort();
  }

  onHeaders(statusCode: number, headers: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx informational: not forwarded
    const r = this.r;
    r.upstreamLatency = performance.now() - this.sentAt;
    r.status = statusCode;
    this.out.upstreamHeaders = headers;
    this.out.resume = resume;
    if (r.aborted) return false;
    const chain = r.chain;
    let hold = 0;
    if (chain !== null && chain.bufferResponse != null && r.method !== 'HEAD' && statusCode !== 204 && statusCode !== 304) {
      // Held whole for the body phase: the head is written with the (new) body at the end.
      const want = askBufferResponse(r, chain.bufferResponse, statusCode);
      if (want > 0) hold = Math.min(want, MAX_BUFFERED_BODY);
    }
    this.out.accept(hold);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.r.aborted || this.r.finished) return false;
    return this.out.data(chunk);
  }

  onComplete(): void {
    if (this.r.aborted || this.r.finished) return;
    this.out.complete();
  }

  /** The request failed for good (the retry layer gave up, or the failure was not retryable). */
  onError(err: Error, kind: UpstreamErrorKind): void {
    const r = this.r;
    const out = this.out;
    if (r.finished || r.aborted) {
      if (!r.finished) r.done();
      return;
    }
    if (kind === UpstreamErrorKind.NoPeer) return r.fail(ERRORS.noHealthyTarget);
    out.dropHead(); // a head received but not yet written is dropped with its response
    if (r.bodyTooLarge) {
      if (out.headWritten) {
        out.cut();
        r.done();
        return;
      }
      return r.fail(ERRORS.bodyTooLarge);
    }
    r.errorMessage = err.message;
    if (out.headWritten) {
      // Too late for an error response: cut the connection so the client sees a failure.
      out.cut();
      r.done();
      return;
    }
    r.fail(isTimeout(kind) ? ERRORS.upstreamTimeout : ERRORS.badGateway);
  }

  /** The request ended on our side: an error now is not the upstream's (no retry, no health count). */
  get cancelled(): boolean {
    const r = this.r;
    return r.aborted || r.finished || r.bodyTooLarge;
  }

  /** Response bytes reached the client: too late for another attempt. */
  get forwarded(): boolean {
    return this.out.headWritten;
  }
}

/** The value of cookie `name` in a Cookie header, or null. */
function cookieValue(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
