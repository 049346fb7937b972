/**
 * Running a route's plugin chain against a request: the one implementation shared by the HTTP
 * proxy (http.ts, ProxyRequest) and the WebSocket proxy (websocket/upgrade.ts, WsUpgrade, for the
 * upgrade request). Module functions taking the request as an argument: nothing is allocated per
 * request except what an async access handler needs to resume the chain.
 */
import type { Consumer } from '../config/types.js';
import type { Chain } from '../plugins/chain.js';
import type { ConsumerIndex, LogInfo, PluginContext, PluginResponse, RequestBodyCapability } from '../plugins/types.js';
import type { GatewayError } from './errors.js';
import { statusLine } from './status.js';

/** What the chain runner needs of a request besides what a plugin sees of it. */
export interface PhaseHost extends PluginContext {
  /** The chain running; switched to the consumer's own chain after authentication. */
  chain: Chain | null;
  /** Why the request failed, for the access log (header-phase errors land here). */
  errorMessage: string | null;
  /** The request is over (client gone, or answered): a late async result is dropped. */
  accessCancelled(): boolean;
  /** Every access handler let the request through: go on to the upstream. */
  accessPassed(): void;
  /** An access handler answered the request itself (auth failure, rate limit, mock...). */
  accessRejected(r: PluginResponse): void;
  /** An access handler threw, or its promise rejected (the proxy answers 500). */
  accessFailed(err: Error): void;
  /** The whole request body when the chain buffered it (chain.bufferRequestBody), else null. */
  readonly requestBody: Buffer | null;
  /** Replaces the body sent upstream (only called where requestBody is a Buffer). */
  setRequestBody(body: Buffer): void;
}

/** What a request with a body phase (HTTP) offers besides: the held response's capability (ResponseBodyCapability). */
export interface BodyPhaseHost extends PhaseHost {
  setResponseStatus(status: number): void;
}

const NO_BODY_BYTES = Buffer.alloc(0);
/** The body capability of a request with no body to buffer (a WebSocket upgrade). */
const NO_BODY: RequestBodyCapability = {
  requestBody: NO_BODY_BYTES,
  setRequestBody(): void {
    throw new Error('setRequestBody: this request has no body (WebSocket upgrade)');
  },
};

/**
 * The RequestBodyCapability handed to access handlers: the request itself when its body was read
 * (no allocation), the empty stand-in otherwise (streaming chains' handlers do not look at it).
 */
function bodyOf(host: PhaseHost): RequestBodyCapability {
  return host.requestBody !== null ? (host as RequestBodyCapability) : NO_BODY;
}

/**
 * Runs access handlers from `from`. A handler may return nothing (go on), a PluginResponse (the
 * answer), or a promise of either (the chain resumes when it settles). After an authentication
 * plugin set a consumer that has its own chain on this route, the rest runs in that chain.
 */
export function runAccess(host: PhaseHost, chain: Chain, from: number): void {
  const access = chain.access;
  const body = bodyOf(host);
  for (let i = from; i < access.length; i++) {
    let r;
    try {
      r = access[i]!(host, body);
    } catch (err) {
      return host.accessFailed(err as Error);
    }
    if (r !== undefined) {
      if (typeof (r as Promise<unknown>).then === 'function') {
        (r as Promise<PluginResponse | void>).then(
          (res) => {
            if (host.accessCancelled()) return;
            if (res !== undefined) return host.accessRejected(res);
            afterAccessStep(host, chain, i);
          },
          (err: Error) => host.accessFailed(err),
        );
        return;
      }
      return host.accessRejected(r as PluginResponse);
    }
    if (chain.accessAuth[i] && host.consumer !== null && chain.byConsumer !== null) {
      return afterAccessStep(host, chain, i);
    }
  }
  host.accessPassed();
}

/** After step i: switch to the consumer's own chain if it has one (same priority point), then go on. */
function afterAccessStep(host: PhaseHost, chain: Chain, i: number): void {
  const consumer = host.consumer;
  const own = consumer !== null && chain.byConsumer !== null ? chain.byConsumer.get(consumer.id) : undefined;
  if (own === undefined || own === chain) return runAccess(host, chain, i + 1);
  const prio = chain.accessPriority[i]!;
  let j = 0;
  while (j < own.access.length && own.accessPriority[j]! >= prio) j++;
  host.chain = own;
  runAccess(host, own, j);
}

/** A plugin answer without a raw body, as a gateway error: JSON `{"message","request_id"}`. */
export function pluginError(r: PluginResponse): GatewayError {
  return { status: r.status, message: r.message ?? statusLine(r.status).slice(4), headers: r.headers };
}

/**
 * The body phase on a held response, in priority order; calls `done` with the body to send. A
 * handler may answer with a promise (Kong-format response phases): the rest runs when it settles,
 * unless the request is over by then. Errors are noted and the body goes on unchanged.
 */
export function runBodyPhase(host: BodyPhaseHost, status: number, body: Buffer, done: (body: Buffer) => void, from = 0): void {
  const fns = host.chain?.body;
  if (fns == null) return done(body);
  for (let i = from; i < fns.length; i++) {
    let r: Buffer | Promise<Buffer>;
    try {
      r = fns[i]!(host, status, body, host);
    } catch (err) {
      host.errorMessage = 'plugin body phase: ' + (err as Error).message;
      continue;
    }
    if (!Buffer.isBuffer(r)) {
      const before = body;
      r.then(
        (b) => {
          if (!host.accessCancelled()) runBodyPhase(host, status, b, done, i + 1);
        },
        (err: Error) => {
          host.errorMessage = 'plugin body phase: ' + err.message;
          if (!host.accessCancelled()) runBodyPhase(host, status, before, done, i + 1);
        },
      );
      return;
    }
    body = r;
  }
  done(body);
}

/**
 * How much of the response body the chain's `bufferResponse` handlers want held for the body
 * phase (the largest ask; 0: stream it). A handler that throws is noted and asks for nothing.
 */
export function askBufferResponse(host: PhaseHost, fns: NonNullable<Chain['bufferResponse']>, status: number): number {
  let want = 0;
  for (let i = 0; i < fns.length; i++) {
    try {
      const n = fns[i]!(host, status);
      if (n > want) want = n;
    } catch (err) {
      host.errorMessage = 'plugin bufferResponseBody: ' + (err as Error).message;
    }
  }
  return want;
}

/** The header phase, once the response status is known (proxied or gateway-made). */
export function runHeaderPhase(host: PhaseHost, status: number): void {
  const fns = host.chain?.header;
  if (fns == null) return;
  for (let i = 0; i < fns.length; i++) {
    try {
      fns[i]!(host, status);
    } catch (err) {
      host.errorMessage = 'plugin header phase: ' + (err as Error).message;
    }
  }
}

/** The log phase, after the response (or the WebSocket) is finished. Handlers never break the request path. */
export function runLogPhase(host: PhaseHost, status: number, latencyMs: number, upstreamLatencyMs: number, bytesSent: number): void {
  const log = host.chain?.log;
  if (log == null) return;
  const info: LogInfo = { status, latencyMs, upstreamLatencyMs, bytesSent };
  for (let i = 0; i < log.length; i++) {
    try {
      log[i]!(host, info);
    } catch {
      /* a log handler must never break the request path */
    }
  }
}

/**
 * X-Consumer-* headers of SPEC §5 sent upstream for an authenticated request, appended to a flat
 * [name, value, ...] list (incoming ones were already dropped as SET_BY_GATEWAY: they cannot be
 * spoofed). `hideGroups`: acl's hide_groups_header.
 */
export function pushConsumerHeaders(
  out: string[],
  c: Consumer,
  credentialId: string | null,
  anonymous: boolean,
  hideGroups: boolean,
  consumers: ConsumerIndex,
): void {
  if (anonymous) out.push('x-anonymous-consumer', 'true');
  out.push('x-consumer-id', c.id);
  if (c.custom_id !== null) out.push('x-consumer-custom-id', c.custom_id);
  if (c.username !== null) out.push('x-consumer-username', c.username);
  if (credentialId !== null) out.push('x-credential-identifier', credentialId);
  const groups = consumers.groups(c.id);
  if (groups.length > 0 && !hideGroups) out.push('x-consumer-groups', groups.join(', '));
}
