/**
 * WebSocket passthrough (SPEC.md §4): uWS accepts the client's upgrade request, the route is
 * matched and its plugin chain's access phase runs (plugin-phases.ts, the same runner as HTTP; a
 * rejection is an HTTP answer and no upstream is contacted), then a `ws` client performs the
 * handshake with the service's peer, carrying the plugins' upstream headers, query and
 * X-Consumer-*; only when the upstream accepts is the client upgraded, with the subprotocol the
 * upstream chose. From then on messages, pings and close codes pass through both ways with
 * backpressure. A connection keeps the snapshot (route, service, peer) it started with, so a
 * reload never touches it. The header phase runs on the 101 (or the rejection); the log phase
 * when the WebSocket closes (status 101), or when the upgrade got an HTTP answer instead.
 *
 * Limits (per connection, documented in the README; the values are in websocket/limits.ts):
 * - max message size: `wsRouteOptions(rt).maxPayload` (16 MiB by default), both directions, close
 *   1009. uWS's own limit is set to `UWS_MAX_PAYLOAD` (twice the largest route limit) because uWS
 *   closes with 1006 and no frame on its own limit; a client message over that is cut with 1006.
 * - upstream→client: when the client's uWS buffer exceeds `CLIENT_HIGH_WATER`, the upstream
 *   socket is paused until uWS drains it below `CLIENT_LOW_WATER`.
 * - client→upstream: uWS 20.30 cannot pause reading a WebSocket, so when the upstream does not read
 *   and more than `wsRouteOptions(rt).upstreamBufferCap` is queued for it, the client is closed
 *   with 1013 (Try Again Later) and the upstream with 1001.
 * - idle: `IDLE_TIMEOUT_S` seconds without traffic from the client; uWS pings an idle client
 *   first, so only a dead client is closed.
 */
import type uWS from '../uws/index.js';
import type { AccessLog } from '../observability/access-log.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import type { WebSocketMetrics } from '../observability/websocket-metrics.js';
import type { ProxyState } from './state.js';
import { IDLE_TIMEOUT_S, UWS_MAX_BACKPRESSURE, UWS_MAX_PAYLOAD } from './websocket/limits.js';
import type { WsRelay, WsUserData } from './websocket/relay.js';
import { WsUpgrade } from './websocket/upgrade.js';

/**
 * One per worker: the uWS `ws` behaviour, the open connections, shutdown. Each upgrade request is
 * a WsUpgrade (websocket/upgrade.ts: admission, plugins, the 101 or an HTTP answer, logging),
 * which opens the upstream's handshake (websocket/upstream.ts); once both sides are open, a
 * WsRelay (websocket/relay.ts) passes messages, pings and closes (websocket/close-codes.ts).
 */
export class WebSocketProxy {
  readonly open = new Set<WsRelay>();
  closing = false;

  constructor(
    readonly state: ProxyState,
    readonly requestMetrics: WorkerMetrics,
    /** Access log destination, or null when access lines are off. */
    readonly accessLog: AccessLog | null,
    /** The worker's WebSocket metrics (one set per worker, shared by its listeners). */
    readonly metrics: WebSocketMetrics,
  ) {}

  get count(): number {
    return this.open.size;
  }

  behavior(): uWS.WebSocketBehavior<WsUserData> {
    return {
      maxPayloadLength: UWS_MAX_PAYLOAD,
      maxBackpressure: UWS_MAX_BACKPRESSURE,
      idleTimeout: IDLE_TIMEOUT_S,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        new WsUpgrade(this, res).handle(req, context);
      },
      open: (ws) => ws.getUserData().relay.onClientOpen(ws),
      message: (ws, message, isBinary) => ws.getUserData().relay.onClientMessage(message, isBinary),
      drain: (ws) => ws.getUserData().relay.onClientDrain(),
      ping: (ws, message) => ws.getUserData().relay.onClientPing(message),
      pong: (ws, message) => ws.getUserData().relay.onClientPong(message),
      close: (ws, code, message) => ws.getUserData().relay.onClientClose(code, message),
    };
  }

  /** Graceful shutdown: every client gets 1001, every upstream a 1001 close; later handshakes too. */
  closeAll(code = 1001, reason = 'Going Away'): void {
    this.closing = true;
    for (const c of [...this.open]) c.closeBoth(code, reason);
  }
}
