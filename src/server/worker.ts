import { parentPort, workerData, threadId } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import uWS from 'uWebSockets.js';
import type { Config } from '../config/types.js';
import { createLogger } from '../observability/logger.js';
import { WorkerMetrics } from '../observability/metrics.js';
import { ProxyRequest, type ProxyState } from '../proxy/http.js';
import { WebSocketProxy } from '../proxy/websocket.js';
import { compile } from '../snapshot/compile.js';
import { PoolRegistry } from '../upstream/pool.js';
import { PluginStateStore } from '../plugins/chain.js';
import { PeerRegistry } from '../upstream/balancer.js';
import { startActiveChecks, type ActiveHealthChecker } from '../upstream/health.js';
import type { FromWorker, ToWorker, WorkerSettings } from './messages.js';

/**
 * A proxy worker thread: its own uWS app on the shared port (SO_REUSEPORT), its own upstream
 * pools, compiling each configuration the main thread sends and swapping the snapshot
 * reference. Requests in flight keep the snapshot they started with.
 */
const { settings, config, shared } = workerData as { settings: WorkerSettings; config: Config; shared: SharedArrayBuffer };
const port = parentPort!;
const send = (m: FromWorker): void => port.postMessage(m);

const logger = createLogger(settings.logLevel, settings.logFormat, { worker: settings.index });
const accessLogOn = logger.isLevelEnabled('info');
const pools = new PoolRegistry();
const pluginState = new PluginStateStore();
const peers = new PeerRegistry();
let checkers: ActiveHealthChecker[] = [];
let inFlightRef = 0;
const metrics = new WorkerMetrics(() => inFlightRef);

const state: ProxyState = {
  snapshot: compile(config, { pools, pluginState, shared, peers }),
  port: settings.port,
  tls: false,
  maxHeaderBytes: settings.maxHeaderBytes,
  inFlight: 0,
  idPrefix: randomBytes(4).toString('hex') + threadId.toString(16).padStart(2, '0'),
  idCounter: 0,
  onFinish(r: ProxyRequest): void {
    inFlightRef = state.inFlight;
    const total = performance.now() - r.start;
    metrics.record(r.rt, r.status, total, r.upstreamLatency, r.bytesSent);
    if (accessLogOn) {
      logger.info({
        msg: 'access',
        request_id: r.requestId,
        method: r.method,
        path: r.url,
        route: r.rt?.label ?? null,
        service: r.rt?.service?.service.name ?? null,
        consumer: null,
        status: r.status,
        latency_ms: Math.round(total * 100) / 100,
        upstream_latency_ms: r.upstreamLatency < 0 ? null : Math.round(r.upstreamLatency * 100) / 100,
        proxy_latency_ms: Math.round(r.proxyLatency * 100) / 100,
        bytes: r.bytesSent,
        client_ip: r.clientIp,
        error: r.errorMessage ?? undefined,
      });
    }
    // Not from inside this callback: the response is still corked; let uWS flush it first.
    if (draining && state.inFlight === 0) setTimeout(finishDrain, 50);
  },
};

checkers = startActiveChecks(state.snapshot.upstreamPeers);

function handler(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
  new ProxyRequest(res, state).handle(req);
}

const app = uWS.App();
app.any('/*', handler);
// Upgrade requests (GET with Upgrade: websocket and a key) go to the ws route; uWS yields every
// other request, including a plain GET, to the `any` handler above.
const websockets = new WebSocketProxy(state, metrics, accessLogOn ? logger : null);
app.ws('/*', websockets.behavior());

let listenSocket: uWS.us_listen_socket | null = null;
app.listen(settings.host, settings.port, (token) => {
  if (!token) {
    send({ type: 'listen-failed', message: `cannot listen on ${settings.host}:${settings.port}` });
    return;
  }
  listenSocket = token;
  send({ type: 'ready', hash: state.snapshot.hash });
});

let draining = false;
let drainTimer: NodeJS.Timeout | null = null;

function closeListener(): void {
  if (listenSocket !== null) {
    uWS.us_listen_socket_close(listenSocket);
    listenSocket = null;
  }
}

let drained = false;
function finishDrain(): void {
  if (drained) return;
  drained = true;
  if (drainTimer !== null) clearTimeout(drainTimer);
  drainTimer = null;
  closeListener();
  // app.close() exists at runtime (untyped): closes the remaining keep-alive connections.
  (app as unknown as { close?: () => void }).close?.();
  for (const c of checkers) c.stop();
  pools.closeAll().finally(() => {
    send({ type: 'closed' });
    port.close();
  });
}

function upstreamStats(): Record<string, Array<{ target: string; healthy: boolean; active: number }>> {
  const out: Record<string, Array<{ target: string; healthy: boolean; active: number }>> = {};
  for (const s of state.snapshot.services.values()) {
    if (s.upstream === null || out[s.upstream.name] !== undefined) continue;
    out[s.upstream.name] = s.balancer.peers.map((p) => ({ target: `${p.host}:${p.port}`, healthy: p.healthy, active: p.active }));
  }
  return out;
}

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'config': {
      try {
        const next = compile(m.config, { pools, pluginState, shared, peers });
        state.snapshot = next;
        pools.retain(next.pools);
        pluginState.sweep();
        peers.sweep();
        for (const c of checkers) c.stop();
        checkers = startActiveChecks(next.upstreamPeers);
        send({ type: 'swapped', hash: next.hash, seq: m.seq });
      } catch (err) {
        send({ type: 'swap-failed', seq: m.seq, message: (err as Error).message });
      }
      break;
    }
    case 'metrics':
      metrics.registry.getMetricsAsJSON().then((data) => send({ type: 'metrics', id: m.id, data }));
      break;
    case 'stats':
      send({ type: 'stats', id: m.id, inFlight: state.inFlight, websockets: websockets.count, hash: state.snapshot.hash, upstreams: upstreamStats() });
      break;
    case 'shutdown':
      if (draining) break;
      draining = true;
      closeListener();
      websockets.closeAll(); // 1001 to every client and upstream
      if (state.inFlight === 0) finishDrain();
      else drainTimer = setTimeout(finishDrain, m.drainMs);
      break;
  }
});
