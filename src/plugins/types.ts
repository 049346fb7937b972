import type { Config, Consumer, PluginInstance, Route, Service } from '../config/types.js';

/**
 * A plugin module, as DESIGN.md describes: `create` runs at compile time (once per plugin
 * instance per snapshot) and returns per-phase handlers that close over the compiled config
 * (parsed CIDRs, compiled regexes, hashed keys). The request path only calls the handlers.
 */
export interface PluginDefinition {
  /** The plugin API version the plugin is written for (src/plugins/api.ts PLUGIN_API_VERSION); custom plugins say it, bundled ones are always current. */
  apiVersion?: number;
  name: string;
  /** Kong's priority: higher runs first in the access phase. */
  priority: number;
  /** JSON Schema of `config` (the content of schemas/plugins/<name>.json). */
  schema: Record<string, unknown>;
  /** True for authentication plugins (they may set the consumer; see PluginContext.authenticate). */
  authenticates?: boolean;
  /**
   * Cross-field rules a JSON Schema says badly (Kong's entity checks, regex safety), run by
   * validation once the schema passed, on `config` with defaults filled in. Returns each problem
   * with its path inside `config` (reported as FILE:LINE:COL); empty when fine.
   */
  check?(config: Record<string, unknown>): PluginConfigProblem[];
  create(instance: PluginInstance, ctx: PluginCreateContext): PluginHandlers;
}

export interface PluginConfigProblem {
  path: Array<string | number>;
  message: string;
}

export interface PluginCreateContext {
  config: Config;
  /** Consumers by id, username and custom_id (for `anonymous` and credential lookups). */
  consumers: ConsumerIndex;
  /**
   * State that survives reloads (rate-limit counters, caches, JWKS), keyed by the plugin's
   * identity and configuration hash: `ctx.state(key, () => initial)` returns the live object.
   */
  state<T>(key: string, init: () => T): T;
  /**
   * Memory shared by every worker thread of this node (one SharedArrayBuffer created by the main
   * thread), for state that must be node-wide without a message per request, such as
   * `rate-limiting` with `policy: local` (Atomics on an Int32Array view). Plugins carve their
   * regions out of it with `sharedRegion`.
   */
  shared: SharedArrayBuffer;
}

export interface ConsumerIndex {
  byId: ReadonlyMap<string, Consumer>;
  /** By id, then username, then custom_id (Kong's `anonymous` accepts an id or a username). */
  find(ref: string): Consumer | undefined;
  /** Groups (acls + consumer groups) of a consumer. */
  groups(consumerId: string): readonly string[];
}

/** A response a plugin makes itself (auth failure, rate limit, mock...). */
export interface PluginResponse {
  status: number;
  /** JSON error `{"message", "request_id"}` when `body` is absent. */
  message?: string;
  /** Raw body instead of the JSON error. */
  body?: string | Buffer;
  headers?: Readonly<Record<string, string>>;
}

export type AccessResult = void | PluginResponse | Promise<void | PluginResponse>;

/**
 * What every plugin sees of a request, in every phase. Implemented by the proxy's request objects
 * (HTTP requests and WebSocket upgrades) and by the harness: every member always exists. What
 * only some requests have is a capability handed to the phases that asked for it: the request
 * body (`RequestBodyCapability`, second argument of `access` when the handlers declare
 * `bufferRequestBody: true`) and the held response (`ResponseBodyCapability`, fourth argument of
 * `body`).
 */
export interface PluginContext {
  readonly method: string;
  /** Normalized path, no query string. */
  readonly path: string;
  /** Raw query string without `?` ('' when none). */
  readonly query: string;
  /** Request headers, lower-case names (duplicates joined with ", "). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * One request header by lower-case name, as `headers[name]` gives it. Cheaper on the hot path
   * when a plugin needs one or two headers: `headers` is built on first read (an object per
   * request), this reads the arrival-order list.
   */
  header(lower: string): string | undefined;
  readonly clientIp: string;
  /**
   * The request's one id (SPEC §4): error bodies' `request_id`, the access line, the log
   * plugins. A per-worker counter formatted on first read, unless correlation-id set it.
   */
  readonly requestId: string;
  /**
   * Makes `id` the request's id from now on (correlation-id, in access: the correlation id is the
   * request id everywhere after it).
   */
  setRequestId(id: string): void;
  /** True once `requestId` was read or set: changing it then would give the request two ids. */
  readonly requestIdFixed: boolean;
  readonly route: Route;
  readonly service: Service | null;
  /** Template parameters / regex captures of the matched route path. */
  readonly params: Readonly<Record<string, string>> | null;
  readonly consumer: Consumer | null;
  readonly credentialId: string | null;
  /** Sets the authenticated consumer (and upstream X-Consumer-* headers). `credential` null = anonymous. */
  authenticate(consumer: Consumer, credentialId: string | null, anonymous: boolean): void;
  /** Replaces (value) or removes (null) a header sent upstream. */
  setUpstreamHeader(name: string, value: string | null): void;
  /** Replaces the query string sent upstream. */
  setUpstreamQuery(query: string): void;
  /** Replaces the whole path sent upstream (no query string; request-transformer replace.uri). */
  setUpstreamPath(path: string): void;
  /** Replaces the method sent upstream (request-transformer http_method). WebSocket handshakes stay GET. */
  setUpstreamMethod(method: string): void;
  /**
   * Sends this request to the Upstream entity named `name` (its balancer, health checks and
   * targets) instead of the service's host: Kong's `kong.service.set_upstream`. Throws when the
   * configuration has no upstream of that name. Access phase; the last call (of this or
   * `setTarget`) wins.
   */
  setUpstream(name: string): void;
  /**
   * Sends this request to `host:port` directly (an IP or a name), bypassing the balancer: Kong's
   * `kong.service.set_target`. Retries go to the same target; no health checks apply. The Host
   * header is `host` unless the route preserves the client's. Access phase.
   */
  setTarget(host: string, port: number): void;
  /** Adds a header to the response the client gets (proxied or gateway-made). */
  addResponseHeader(name: string, value: string): void;
  /** Removes an upstream response header before the client sees it. */
  removeResponseHeader(name: string): void;
  /**
   * Caps a streamed request body (chunked, no Content-Length) at `maxBytes`: the proxy counts
   * bytes as they arrive and answers 413 when the cap is passed (request-size-limiting). Does
   * nothing where no body streams (buffered bodies, WebSocket upgrades).
   */
  limitRequestBody(maxBytes: number): void;
  /** Set to true (acl's hide_groups_header) to keep X-Consumer-Groups from the upstream. */
  hideConsumerGroups: boolean;
  /**
   * Groups an authentication plugin established without (or besides) a consumer, Kong's
   * "authenticated groups" (openid-connect's authenticated_groups_claim): acl checks them. Null
   * until a plugin sets them.
   */
  authenticatedGroups: readonly string[] | null;
  /**
   * A response header as the client will get it so far (header, bufferResponseBody and body
   * phases): the upstream's or the gateway-made response's, minus removed ones, plus ones plugins
   * added (the last one added wins). Lower-case or any-case name.
   */
  getResponseHeader(name: string): string | undefined;
  /** The upstream response's own headers, flat [lower-case name, value, ...] (proxy-cache stores them). */
  upstreamResponseHeaders(): string[];
  /**
   * @deprecated since plugin API 1 (this release): use the `RequestBodyCapability` that `access`
   * gets as its second argument when the handlers declare `bufferRequestBody: true`. Kept so that
   * plugins written before still compile; removed in API version 2.
   */
  readonly requestBody?: Buffer | null;
  /** @deprecated as `requestBody`: use `RequestBodyCapability.setRequestBody`. */
  setRequestBody?(body: Buffer): void;
  /** @deprecated use `ResponseBodyCapability.setResponseStatus` (fourth argument of `body`). */
  setResponseStatus?(status: number): void;
}

/**
 * The request body, for the access phase of handlers that declared `bufferRequestBody: true`:
 * the proxy read it whole (up to SLUICE_MAX_BUFFERED_BODY, 413 over it) before the chain's access
 * phase. Routes whose chain does not ask stream their bodies and no plugin sees them.
 */
export interface RequestBodyCapability {
  /** The whole request body; empty when the request has none (or is a WebSocket upgrade). */
  readonly requestBody: Buffer;
  /** Replaces the body sent upstream (Content-Length follows it). Throws on a WebSocket upgrade. */
  setRequestBody(body: Buffer): void;
}

/** The held upstream response, for the `body` phase (handlers with `bufferResponseBody`). */
export interface ResponseBodyCapability {
  /** Replaces the status of the response the client gets (Kong's kong.response.exit in response). */
  setResponseStatus(status: number): void;
}

/** What the log phase gets, after the response is finished. */
export interface LogInfo {
  status: number;
  latencyMs: number;
  upstreamLatencyMs: number;
  bytesSent: number;
}

/** Handlers of every plugin: the phases that need no body capability. */
interface PhaseHandlers {
  /** When the response headers are known (proxied or gateway-made): may add/remove headers. */
  header?: (ctx: PluginContext, status: number) => void;
  /** After the response is finished. Must not throw; must not block. */
  log?: (ctx: PluginContext, info: LogInfo) => void;
  /**
   * Called when a proxied response's head arrived (not for HEAD/204/304): returns how many body
   * bytes this plugin wants to see whole in its `body` phase (0: none, e.g. not JSON). The proxy
   * buffers up to the largest answer of the chain; a body longer than that streams through
   * unchanged and no `body` handler is called.
   */
  bufferResponseBody?: (ctx: PluginContext, status: number) => number;
  /**
   * The whole upstream response body, when it was buffered: returns the body to send (the same
   * Buffer when unchanged), or a promise of it (Kong-format response phases: the proxy waits).
   * Runs in priority order before the header phase; Content-Length follows. `response` changes
   * the held response's status.
   */
  body?: (ctx: PluginContext, status: number, body: Buffer, response: ResponseBodyCapability) => Buffer | Promise<Buffer>;
}

/** Handlers that do not read the request body: it streams to the upstream. */
export interface StreamingHandlers extends PhaseHandlers {
  bufferRequestBody?: false;
  /** Before the upstream: may answer the request itself by returning a PluginResponse. */
  access?: (ctx: PluginContext) => AccessResult;
}

/**
 * Handlers that need the whole request body in their access phase: the proxy reads it, up to
 * SLUICE_MAX_BUFFERED_BODY (413 over it), before the chain's access phase runs, and `access` gets
 * it as its second argument. Chains without such a plugin stream bodies.
 */
export interface BodyHandlers extends PhaseHandlers {
  bufferRequestBody: true;
  access?: (ctx: PluginContext, body: RequestBodyCapability) => AccessResult;
}

/** What `create` returns: `bufferRequestBody: true` decides whether `access` gets the request body. */
export type PluginHandlers = StreamingHandlers | BodyHandlers;
