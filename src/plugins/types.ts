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
 * What a plugin sees of a request. Implemented by the proxy's request objects (HTTP requests and
 * WebSocket upgrades). Members every request has are required; the optional ones are the body
 * and HTTP-only capabilities (absent on WebSocket upgrades, `requestBody` null unless the chain
 * asked for bodies with `bufferRequestBody`).
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
   * request id everywhere after it). Absent where a host has no ids of its own.
   */
  setRequestId?(id: string): void;
  /** True once `requestId` was read or set: changing it then would give the request two ids. */
  readonly requestIdFixed?: boolean;
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
  /** Adds a header to the response the client gets (proxied or gateway-made). */
  addResponseHeader(name: string, value: string): void;
  /** Removes an upstream response header before the client sees it. */
  removeResponseHeader(name: string): void;
  /**
   * Caps a streamed request body (chunked, no Content-Length) at `maxBytes`: the proxy counts
   * bytes as they arrive and answers 413 when the cap is passed (request-size-limiting). Absent
   * where there is no body to stream (WebSocket upgrades).
   */
  limitRequestBody?(maxBytes: number): void;
  /** Set to true (acl's hide_groups_header) to keep X-Consumer-Groups from the upstream. */
  hideConsumerGroups: boolean;
  /**
   * Groups an authentication plugin established without (or besides) a consumer, Kong's
   * "authenticated groups" (openid-connect's authenticated_groups_claim): acl checks them.
   */
  authenticatedGroups?: readonly string[] | null;
  /**
   * The whole request body, read before the access phase, when a plugin of the route's chain
   * asked for it (`PluginHandlers.bufferRequestBody`); empty when the request has none. Null on
   * routes whose chain does not buffer: their bodies stream and no plugin sees them.
   */
  readonly requestBody?: Buffer | null;
  /** Replaces the body sent upstream (Content-Length follows it). Only where requestBody is a Buffer. */
  setRequestBody?(body: Buffer): void;
  /** Replaces the method sent upstream (request-transformer http_method). */
  setUpstreamMethod?(method: string): void;
  /** Replaces the whole path sent upstream (no query string; request-transformer replace.uri). */
  setUpstreamPath(path: string): void;
  /**
   * A response header as the client will get it so far (header, bufferResponseBody and body
   * phases): the upstream's or the gateway-made response's, minus removed ones, plus ones plugins
   * added (the last one added wins). Lower-case or any-case name.
   */
  getResponseHeader(name: string): string | undefined;
  /** Replaces the status of the response the client gets (body phase: Kong's kong.response.exit in response). */
  setResponseStatus?(status: number): void;
  /** The upstream response's own headers, flat [lower-case name, value, ...] (proxy-cache stores them). */
  upstreamResponseHeaders(): string[];
}

/** What the log phase gets, after the response is finished. */
export interface LogInfo {
  status: number;
  latencyMs: number;
  upstreamLatencyMs: number;
  bytesSent: number;
}

export interface PluginHandlers {
  /** Before the upstream: may answer the request itself by returning a PluginResponse. */
  access?: (ctx: PluginContext) => AccessResult;
  /** When the response headers are known (proxied or gateway-made): may add/remove headers. */
  header?: (ctx: PluginContext, status: number) => void;
  /** After the response is finished. Must not throw; must not block. */
  log?: (ctx: PluginContext, info: LogInfo) => void;
  /**
   * True when this instance needs the whole request body in its access phase (as
   * `ctx.requestBody`): the proxy then reads the body, up to SLUICE_MAX_BUFFERED_BODY (413 over
   * it), before the chain's access phase runs. Chains without such a plugin stream bodies.
   */
  bufferRequestBody?: boolean;
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
   * Runs in priority order before the header phase; Content-Length follows.
   */
  body?: (ctx: PluginContext, status: number, body: Buffer) => Buffer | Promise<Buffer>;
}
