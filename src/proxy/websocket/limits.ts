/**
 * WebSocket limits (SPEC.md §4, documented in the README): per route, and the uWS settings for the
 * whole app that keep those limits reachable.
 */
import type { RouteRuntime } from '../../snapshot/types.js';

export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

/** Per-route WebSocket limits. Today every route gets the defaults; a route field can feed this later. */
export interface WsRouteOptions {
  /** Largest message accepted in either direction; a larger one closes the connection with 1009. */
  maxPayload: number;
  /** Bytes queued towards an upstream that does not read before the client is closed with 1013. */
  upstreamBufferCap: number;
}

export const DEFAULT_ROUTE_OPTIONS: WsRouteOptions = Object.freeze({
  maxPayload: DEFAULT_MAX_PAYLOAD,
  upstreamBufferCap: 2 * DEFAULT_MAX_PAYLOAD,
});

/** The limits of a route (the one place a future `route` setting would be read). */
export function wsRouteOptions(_rt: RouteRuntime): WsRouteOptions {
  return DEFAULT_ROUTE_OPTIONS;
}

/** uWS's per-message limit for the whole app: above every route's maxPayload so we can send 1009. */
export const UWS_MAX_PAYLOAD = 2 * DEFAULT_MAX_PAYLOAD;
/** Pause the upstream when this much is buffered towards the client; resume under the low mark. */
export const CLIENT_HIGH_WATER = 1024 * 1024;
export const CLIENT_LOW_WATER = 256 * 1024;
/**
 * uWS drops (send returns 2) beyond maxBackpressure. After the upstream is paused, at most one
 * socket read of small messages plus one message being assembled can still arrive, so this bound
 * is never reached; it keeps a slow client's memory bounded if it ever is.
 */
export const UWS_MAX_BACKPRESSURE = CLIENT_HIGH_WATER + UWS_MAX_PAYLOAD + 1024 * 1024;
/** Seconds without a frame from the client before uWS pings it, then closes it if still silent. */
export const IDLE_TIMEOUT_S = 120;
/** A refused handshake's body is relayed to the client when at most this large. */
export const REFUSAL_BODY_LIMIT = 64 * 1024;
