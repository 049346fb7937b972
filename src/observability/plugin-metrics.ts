import client from 'prom-client';

/**
 * Metrics registered by plugins (prometheus's Kong-named series, the logging queues' drop
 * counters). One registry per thread (each worker loads its own copy of this module); the worker
 * sends it with its request metrics to the main thread, which aggregates every worker's for the
 * admin API's GET /metrics.
 */
export const pluginRegistry = new client.Registry();

let dropped: client.Counter<string> | null = null;
const droppedChildren = new Map<string, client.Counter.Internal>();

/** Counts log entries a plugin dropped (queue full, retries exhausted, write errors). */
export function pluginDropped(plugin: string, reason: string, n: number): void {
  const key = plugin + '\0' + reason;
  let c = droppedChildren.get(key);
  if (c === undefined) {
    dropped ??= new client.Counter({
      name: 'sluice_log_entries_dropped_total',
      help: 'Log entries (or spans) a logging plugin dropped, by plugin and reason',
      labelNames: ['plugin', 'reason'],
      registers: [pluginRegistry],
    });
    c = dropped.labels(plugin, reason);
    droppedChildren.set(key, c);
  }
  c.inc(n);
}

/** Upstream targets and their health, as the worker sees them (set by the worker thread). */
export type UpstreamHealthSource = () => Record<string, Array<{ target: string; healthy: boolean }>>;
let healthSource: UpstreamHealthSource = () => ({});

export function setUpstreamHealthSource(fn: UpstreamHealthSource): void {
  healthSource = fn;
}
export function upstreamHealth(): ReturnType<UpstreamHealthSource> {
  return healthSource();
}
