import type { Readable } from 'node:stream';

/**
 * The seam between the proxy and whatever sends a request upstream. Sluice's own HTTP/1.1 client
 * (h1/) and the undici adapter (undici.ts) implement it; an HTTP/2 client would be h2/ beside
 * them. The proxy knows only this file and body-buffer.ts.
 *
 * Body buffers: a Buffer body taken from body-buffer.ts (`takeChunk`/`copyChunk`) carries one
 * hold for the caller. A client whose `returnsBodies` is true takes a hold per socket write and
 * gives it back when the write is done (`retainChunk`/`releaseChunk`), so the caller may release
 * its own hold as soon as its request is over. A client that cannot tell when its writes are done
 * (undici) says `returnsBodies: false`, and the caller must not read bodies into pooled memory.
 * A streamed (Readable) body's chunks are handed to the client with one hold each, given back
 * once written (or left to the GC by a client that does not return bodies).
 */
export interface UpstreamRequest {
  path: string;
  method: string;
  /** Flat [name, value, name, value, ...] list. */
  headers?: string[] | null;
  body?: Buffer | Uint8Array | string | Readable | null;
  headersTimeout?: number | null;
  bodyTimeout?: number | null;
  idempotent?: boolean;
  /**
   * How many leading entries of `headers` the caller vouches for: names and values that cannot
   * hold CR or LF (copied from a parsed request, or made by the caller). They skip the check.
   */
  trustedHeaders?: number;
}

/** Why an upstream request failed; the proxy decides retries, 502/504 and passive health from it. */
export const enum UpstreamErrorKind {
  /** No connection: refused, unreachable, name not found, TLS handshake. Nothing was sent. */
  Connect = 0,
  /** The connection was not established in time. Nothing was sent. */
  ConnectTimeout = 1,
  /** No (complete) response head in time: the upstream may have processed the request. */
  HeadersTimeout = 2,
  /** The response body stalled. */
  BodyTimeout = 3,
  /** The connection failed before any byte of response (or the client cannot tell otherwise). */
  ResetBeforeResponse = 4,
  /** The connection failed after response bytes arrived, or it is unknown whether some did. */
  ResetAfterResponse = 5,
  /** The upstream's response is malformed (llhttp's HPE_* codes), or the request was. */
  Protocol = 6,
  /** The request was aborted by its handler (client gone, body over its cap). */
  Aborted = 7,
  /** No peer to send it to: every target of the upstream is unhealthy (balanced.ts). */
  NoPeer = 8,
}

export interface UpstreamHandler {
  /** `abort` cancels the request; its handler then gets onError (once). */
  onConnect?(abort: (err?: Error) => void): void;
  onHeaders?(status: number, headers: Buffer[], resume: () => void, statusText: string): boolean;
  onData?(chunk: Buffer): boolean;
  /**
   * The handler copies any chunk it keeps after onData returns. The client may then lend it
   * views of its read buffer instead of a copy per read: a streamed body is neither copied nor
   * left as garbage for the GC (which let RSS grow by ~25 MB while streaming 1 GiB).
   */
  readonly copiesData?: boolean;
  onComplete?(trailers: Buffer[] | null): void;
  onError?(err: Error, kind: UpstreamErrorKind): void;
  /**
   * Read by wrapping clients (retry.ts, passive-health.ts) when an error arrives. `cancelled`: the
   * caller ended the request itself (its client went away, a body over its cap, already
   * answered), so the error is not the upstream's. `forwarded`: response bytes reached the
   * caller's own client, too late for another attempt.
   */
  readonly cancelled?: boolean;
  readonly forwarded?: boolean;
  /** Each attempt, once a peer is picked for it (balanced.ts), before it is sent. */
  onAttempt?(): void;
}

/**
 * Wrapping clients (retry.ts, passive-health.ts, balanced.ts) hand the client below a handler of
 * their own that wraps the caller's, as undici's interceptors do. Such a handler is taken from a
 * free list and goes back to it just before its last call (onComplete or onError) is passed on:
 * a client never calls a handler after that call.
 */
export interface UpstreamClient<R extends UpstreamRequest = UpstreamRequest> {
  /** True when the client gives body-buffer holds back once written (see above). */
  readonly returnsBodies: boolean;
  /** Sends `req`; every outcome reaches `handler` (onError included, exactly once), never a throw. */
  dispatch(req: R, handler: UpstreamHandler): boolean;
  /** Stops taking requests; resolves when the in-flight ones are done. */
  close(): Promise<void>;
}

/**
 * The kind of an error carrying undici's codes (both clients use them, h1/errors.ts), given
 * whether response bytes had arrived and whether a socket close before any is known as such
 * (Sluice's client knows; undici does not say, so its closes count as after the response).
 */
export function errorKindOf(err: Error, responseStarted: boolean, closeKnown: boolean): UpstreamErrorKind {
  const code = (err as { code?: string }).code;
  if (code !== undefined) {
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return UpstreamErrorKind.ConnectTimeout;
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return UpstreamErrorKind.HeadersTimeout;
    if (code === 'UND_ERR_BODY_TIMEOUT') return UpstreamErrorKind.BodyTimeout;
    if (code.startsWith('HPE_')) return UpstreamErrorKind.Protocol;
    if (code === 'UND_ERR_ABORTED') return UpstreamErrorKind.Aborted;
  }
  if (responseStarted || (err as { responseStarted?: boolean }).responseStarted === true) return UpstreamErrorKind.ResetAfterResponse;
  if (code === 'UND_ERR_SOCKET' && !closeKnown) return UpstreamErrorKind.ResetAfterResponse;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EAI_AGAIN') return UpstreamErrorKind.Connect;
  return UpstreamErrorKind.ResetBeforeResponse;
}

/** A 504 (the upstream was too slow) rather than a 502. */
export function isTimeout(kind: UpstreamErrorKind): boolean {
  return kind === UpstreamErrorKind.ConnectTimeout || kind === UpstreamErrorKind.HeadersTimeout || kind === UpstreamErrorKind.BodyTimeout;
}

/**
 * Nothing reached the upstream application, so an idempotent request with a replayable body may
 * be sent again (SPEC §4: never once a byte of response arrived, never after a timeout waiting
 * for the response).
 */
export function isRetryable(kind: UpstreamErrorKind): boolean {
  return kind === UpstreamErrorKind.Connect || kind === UpstreamErrorKind.ConnectTimeout || kind === UpstreamErrorKind.ResetBeforeResponse;
}
