import { parentPort, workerData, threadId } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import uWS from '../uws/index.js';
import type { Config } from '../config/types.js';
import { createLogger } from '../observability/logger.js';
import { AccessLog } from '../observability/access-log.js';
import { WorkerMetrics } from '../observability/metrics.js';
import { ProxyRequest, type ProxyState } from '../proxy/http.js';
import { WebSocketProxy } from '../proxy/websocket.js';
import { WebSocketMetrics } from '../observability/websocket-metrics.js';
import { pluginRegistry, setUpstreamHealthSource } from '../observability/plugin-metrics.js';
import { compile } from '../snapshot/compile.js';
import type { Snapshot } from '../snapshot/types.js';
import { PoolRegistry } from '../upstream/pool.js';
import { PluginStateStore } from '../plugins/chain.js';
import { PeerRegistry } from '../upstream/peer.js';
import { startActiveChecks, type ActiveHealthChecker } from '../upstream/health.js';
import { unpackConfig, type FromWorker, type PackedConfig, type ToWorker, type WorkerSettings } from './messages.js';
import { TlsFiles, certificatesKey } from './tls.js';
import { setFlagsFromString } from 'node:v8';
import { activeCatalogue, setActiveCatalogue } from '../plugins/catalogue.js';
import { loadCatalogue, NO_CUSTOM_PLUGINS } from '../plugins/custom/load.js';
import { configureRuntime } from '../plugins/custom/runtime.js';

// V8's allocation-site pretenuring mistakes the request path's short-lived objects for
// long-lived ones under load (they survive one scavenge while 64+ requests are in flight) and
// allocates them in old space: scavenges then take 10-18 ms instead of ~1.5 ms and every request
// pays ~20% more CPU (measured with --trace-gc; README "Performance"). V8 flags are
// process-wide; set before any request.
setFlagsFromString('--no-allocation-site-pretenuring');

/**
 * A proxy worker thread: its own uWS apps on the shared ports (SO_REUSEPORT), its own upstream
 * pools, compiling each configuration the main thread sends and swapping the snapshot
 * reference. Requests in flight keep the snapshot they started with.
 *
 * Listeners: the plain proxy port always; the TLS port while the configuration has
 * certificates. A changed certificate set gets a new TLS app on the same port (uWS must never
 * remove an SNI name at runtime); the old one stops accepting and keeps serving its open
 * connections until shutdown.
 */
const { settings, shared, config: packed } = workerData as { settings: WorkerSettings; config: PackedConfig; shared: SharedArrayBuffer };
const config: Config = unpackConfig(packed);
const port = parentPort!;
const send = (m: FromWorker): void => port.postMessage(m);

const bindings = { worker: settings.index };
const logger = createLogger(settings.logLevel, settings.logFormat, bindings);
const accessLog = logger.isLevelEnabled('info') ? new AccessLog(logger, bindings) : null;
const pools = new PoolRegistry();
const pluginState = new PluginStateStore();
const peers = new PeerRegistry();
let checkers: ActiveHealthChecker[] = [];
const metrics = new WorkerMetrics(() => inFlight());
const wsMetrics = new WebSocketMetrics(metrics.registry, () => listeners.reduce((n, l) => n + l.websockets.count, 0));
const idPrefix = randomBytes(4).toString('hex') + threadId.toString(16).padStart(2, '0');

// Custom plugins: this worker's own module instances (loaded before the first compile).
const pluginsSpec = settings.plugins ?? NO_CUSTOM_PLUGINS;
configureRuntime({ logger, timeoutMs: settings.pluginTimeoutMs ?? 10_000 });

// Assigned by start() below, before any listener exists (no top-level await: the single binary is a CommonJS bundle).
let snapshot!: Snapshot;

function onFinish(r: ProxyRequest): void {
  const total = performance.now() - r.start;
  metrics.record(r.rt, r.status, total, r.upstreamLatency, r.bytesSent);
  if (accessLog !== null) accessLog.write(r, total, r);
  // Not from inside this callback: the response is still corked; let uWS flush it first.
  if (draining && inFlight() === 0) setTimeout(finishDrain, 50);
}

interface Listener {
  app: uWS.TemplatedApp;
  state: ProxyState;
  websockets: WebSocketProxy;
  socket: uWS.us_listen_socket | null;
}

const listeners: Listener[] = [];

function inFlight(): number {
  let n = 0;
  for (const l of listeners) n += l.state.inFlight;
  return n;
}

/**
 * An app with the proxy's HTTP and WebSocket handlers, sharing the worker's snapshot. `snis`
 * (TLS): each server name gets its certificate and the same handlers — uWS routes requests of an
 * SNI-matched connection only through that name's own router (`app.domain(name)`), and the
 * default routes must be registered before the first `domain` call.
 */
function createListener(app: uWS.TemplatedApp, tls: boolean, listenPort: number, snis: ReadonlyArray<[string, uWS.AppOptions]> = []): Listener {
  const state: ProxyState = {
    snapshot,
    port: listenPort,
    portText: String(listenPort),
    tls,
    maxHeaderBytes: settings.maxHeaderBytes,
    onFinish,
    inFlight: 0,
    idPrefix,
    idCounter: 0,
  };
  const http = (res: uWS.HttpResponse, req: uWS.HttpRequest): void => new ProxyRequest(res, state).handle(req);
  // Upgrade requests (GET with Upgrade: websocket and a key) go to the ws route; uWS yields every
  // other request, including a plain GET, to the `any` handler.
  const websockets = new WebSocketProxy(state, metrics, accessLog, wsMetrics);
  const behavior = websockets.behavior();
  app.any('/*', http).ws('/*', behavior);
  for (const [name, opts] of snis) {
    app.addServerName(name, opts);
    app.domain(name).any('/*', http).ws('/*', behavior);
  }
  const l: Listener = { app, state, websockets, socket: null };
  listeners.push(l);
  return l;
}

function listen(l: Listener, host: string, p: number): boolean {
  let ok = false;
  l.app.listen(host, p, (token) => {
    if (token) {
      l.socket = token;
      ok = true;
    }
  });
  return ok;
}

function stopAccepting(l: Listener): void {
  if (l.socket !== null) {
    uWS.us_listen_socket_close(l.socket);
    l.socket = null; // closing twice segfaults (DESIGN.md)
  }
}

// ---- TLS ------------------------------------------------------------------------------------
let tlsListener: Listener | null = null;
let tlsKey = '';

/** (Re)builds the TLS listener when the certificate set changed; returns an error message or null. */
function syncTls(s: Snapshot): string | null {
  const certs = s.config.certificates;
  const key = certs.length === 0 ? '' : certificatesKey(certs);
  if (key === tlsKey) return null;
  if (certs.length === 0) {
    if (tlsListener !== null) stopAccepting(tlsListener);
    tlsListener = null;
    tlsKey = '';
    return null;
  }
  const files = new TlsFiles();
  try {
    const app = uWS.SSLApp(files.write(certs[0]!));
    const snis: Array<[string, uWS.AppOptions]> = [];
    for (const c of certs) {
      const opts = files.write(c);
      for (const sni of c.snis) snis.push([sni, opts]);
    }
    const l = createListener(app, true, settings.tlsPort, snis);
    if (!listen(l, settings.tlsHost, settings.tlsPort)) {
      listeners.splice(listeners.indexOf(l), 1);
      return `cannot listen on ${settings.tlsHost}:${settings.tlsPort} (TLS)`;
    }
    // The new app accepts from now on; the old one keeps its open connections until shutdown.
    if (tlsListener !== null) stopAccepting(tlsListener);
    tlsListener = l;
    tlsKey = key;
    return null;
  } catch (err) {
    return `TLS: ${(err as Error).message}`;
  } finally {
    files.remove();
  }
}

// ---- start ----------------------------------------------------------------------------------
async function start(): Promise<void> {
  try {
    setActiveCatalogue(await loadCatalogue(pluginsSpec));
  } catch (err) {
    send({ type: 'listen-failed', message: `plugins: ${(err as Error).message}` });
    return;
  }
  snapshot = compile(config, { pools, pluginState, shared, peers });
  checkers = startActiveChecks(snapshot.upstreamPeers);
  const plain = createListener(uWS.App(), false, settings.port);
  if (!listen(plain, settings.host, settings.port)) {
    send({ type: 'listen-failed', message: `cannot listen on ${settings.host}:${settings.port}` });
  } else {
    const tlsError = syncTls(snapshot);
    if (tlsError !== null) send({ type: 'listen-failed', message: tlsError });
    else send({ type: 'ready', hash: snapshot.hash });
  }
}
const started = start();

// ---- shutdown -------------------------------------------------------------------------------
let draining = false;
let drainTimer: NodeJS.Timeout | null = null;
let drained = false;

function finishDrain(): void {
  if (drained) return;
  drained = true;
  if (drainTimer !== null) clearTimeout(drainTimer);
  drainTimer = null;
  for (const l of listeners) {
    stopAccepting(l);
    // app.close() exists at runtime (untyped): closes the remaining keep-alive connections.
    (l.app as unknown as { close?: () => void }).close?.();
  }
  for (const c of checkers) c.stop();
  pools.closeAll().finally(() => {
    send({ type: 'closed' });
    port.close();
  });
}

function upstreamStats(): Record<string, Array<{ target: string; healthy: boolean; active: number }>> {
  const out: Record<string, Array<{ target: string; healthy: boolean; active: number }>> = {};
  for (const s of snapshot.services.values()) {
    if (s.upstream === null || out[s.upstream.name] !== undefined) continue;
    out[s.upstream.name] = s.balancer.peers.map((p) => ({ target: `${p.host}:${p.port}`, healthy: p.healthy, active: p.active }));
  }
  return out;
}

setUpstreamHealthSource(upstreamStats);

/** Configuration swaps, in order, after the start. */
let swapQueue: Promise<void> = started;

/** Compiles a configuration the main thread sent and swaps it in. */
function swap(m: Extract<ToWorker, { type: 'config' }>): void {
  try {
    const next = compile(unpackConfig(m.config), { pools, pluginState, shared, peers });
    const tlsError = syncTls(next);
    if (tlsError !== null) throw new Error(tlsError);
    snapshot = next;
    for (const l of listeners) l.state.snapshot = next;
    pools.retain(next.pools);
    pluginState.sweep();
    peers.sweep();
    for (const c of checkers) c.stop();
    checkers = startActiveChecks(next.upstreamPeers);
    send({ type: 'swapped', hash: next.hash, seq: m.seq });
  } catch (err) {
    send({ type: 'swap-failed', seq: m.seq, message: (err as Error).message });
  }
}

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'config': {
      // A new version of the plugin files: load new module instances first (requests in flight
      // keep the handlers of the snapshot they started on). Swaps stay in order.
      if (m.plugins !== undefined && m.plugins !== activeCatalogue().version) {
        swapQueue = swapQueue.then(() =>
          loadCatalogue(pluginsSpec).then(
            (c) => {
              setActiveCatalogue(c);
              swap(m);
            },
            (err: Error) => send({ type: 'swap-failed', seq: m.seq, message: `plugins: ${err.message}` }),
          ),
        );
      } else swapQueue = swapQueue.then(() => swap(m));
      break;
    }
    case 'metrics':
      // The worker's request metrics plus the series plugins registered (prometheus, log queues).
      Promise.all([metrics.registry.getMetricsAsJSON(), pluginRegistry.getMetricsAsJSON()]).then(([own, plugins]) => send({ type: 'metrics', id: m.id, data: [...own, ...plugins] }));
      break;
    case 'stats':
      send({
        type: 'stats',
        id: m.id,
        inFlight: inFlight(),
        websockets: listeners.reduce((n, l) => n + l.websockets.count, 0),
        hash: snapshot.hash,
        upstreams: upstreamStats(),
      });
      break;
    case 'shutdown':
      if (draining) break;
      draining = true;
      for (const l of listeners) {
        stopAccepting(l);
        l.websockets.closeAll(); // 1001 to every client and upstream
      }
      if (inFlight() === 0) finishDrain();
      else drainTimer = setTimeout(finishDrain, m.drainMs);
      break;
  }
});
