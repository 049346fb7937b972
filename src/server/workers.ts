import { Worker } from 'node:worker_threads';
import type { Config } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { packConfig, type FromWorker, type PackedConfig, type ToWorker, type WorkerSettings } from './messages.js';
import { SHARED_MEMORY_BYTES } from '../snapshot/compile.js';

interface Slot {
  index: number;
  worker: Worker;
  hash: string | null;
  ready: boolean;
  exiting: boolean;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

/**
 * A worker's young generation is capped at 8 MB. V8's default lets it grow to ~3 × 16 MB under
 * load, which adds ~25 MB of RSS per worker; the request path's garbage dies young either way,
 * so scavenging a smaller space more often costs within the noise of an A/B run (user
 * instructions per request: 53–61 k with the default, 54–59 k capped). README "Memory".
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8 } as const;

/**
 * The proxy worker threads: starts them, hands each the current configuration, restarts one
 * that dies, gathers their metrics and stats, and drains them on shutdown.
 */
export class WorkerGroup {
  private readonly slots: Slot[] = [];
  /** The current configuration, serialized once for every worker (a restarted one too). */
  private packed: PackedConfig;
  private seq = 0;
  private nextId = 1;
  private readonly waiters = new Map<number, (m: FromWorker) => void>();
  private stopping = false;
  /** Node-wide memory every worker sees (plugins' shared counters); survives worker restarts. */
  readonly shared = new SharedArrayBuffer(SHARED_MEMORY_BYTES);
  restarts = 0;

  constructor(
    private readonly count: number,
    private readonly base: Omit<WorkerSettings, 'index'>,
    config: Config,
    private readonly logger: Logger,
    /** The worker script (tests substitute one). */
    private readonly script: URL = WORKER_URL,
  ) {
    this.packed = packConfig(config);
  }

  /** Starts every worker; resolves when all listen, rejects if one cannot. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.count }, (_, i) => this.spawn(i)));
  }

  private spawn(index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(this.script, { resourceLimits: WORKER_LIMITS, workerData: { settings: { ...this.base, index }, config: this.packed, shared: this.shared } });
      const slot: Slot = { index, worker, hash: null, ready: false, exiting: false };
      this.slots[index] = slot;
      worker.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready':
            slot.ready = true;
            slot.hash = m.hash;
            resolve();
            break;
          case 'listen-failed':
            reject(new Error(m.message));
            break;
          case 'swapped':
            slot.hash = m.hash;
            break;
          case 'swap-failed':
            this.logger.error({ worker: index, error: m.message }, 'worker failed to compile the configuration');
            break;
          case 'metrics':
          case 'stats': {
            const w = this.waiters.get(m.id);
            if (w) w(m);
            break;
          }
          case 'closed':
            slot.exiting = true;
            break;
        }
      });
      worker.on('error', (err) => {
        this.logger.error({ worker: index, err: err.message }, 'worker crashed');
        if (!slot.ready) reject(err);
      });
      worker.on('exit', (code) => {
        if (this.stopping || slot.exiting || this.slots[index] !== slot) return;
        if (!slot.ready) return;
        this.restarts++;
        this.logger.warn({ worker: index, code }, 'worker exited unexpectedly; restarting it');
        this.spawn(index).catch((err: Error) => this.logger.error({ worker: index, err: err.message }, 'worker restart failed'));
      });
    });
  }

  /** Hands a new configuration to every worker (each compiles and swaps). */
  broadcast(config: Config, plugins?: string): void {
    this.packed = packConfig(config);
    const seq = ++this.seq;
    for (const s of this.slots) s.worker.postMessage({ type: 'config', config: this.packed, seq, plugins } satisfies ToWorker);
  }

  /** Config hash each worker serves right now (null while starting). */
  hashes(): Array<string | null> {
    return this.slots.map((s) => s.hash);
  }

  private ask<T extends FromWorker>(make: (id: number) => ToWorker, timeoutMs = 2000): Promise<Array<T | null>> {
    return Promise.all(
      this.slots.map(
        (s) =>
          new Promise<T | null>((resolve) => {
            const id = this.nextId++;
            const timer = setTimeout(() => {
              this.waiters.delete(id);
              resolve(null);
            }, timeoutMs);
            this.waiters.set(id, (m) => {
              clearTimeout(timer);
              this.waiters.delete(id);
              resolve(m as T);
            });
            s.worker.postMessage(make(id));
          }),
      ),
    );
  }

  async metrics(): Promise<unknown[]> {
    const r = await this.ask<Extract<FromWorker, { type: 'metrics' }>>((id) => ({ type: 'metrics', id }));
    return r.filter((m) => m !== null).map((m) => m!.data);
  }

  async stats(): Promise<Array<Extract<FromWorker, { type: 'stats' }> | null>> {
    return this.ask((id) => ({ type: 'stats', id }));
  }

  /** Graceful: stop accepting, let in-flight requests finish (up to drainMs), then exit. */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            const hard = setTimeout(() => void s.worker.terminate().then(() => resolve()), drainMs + 5000);
            s.worker.once('exit', () => {
              clearTimeout(hard);
              resolve();
            });
            s.worker.postMessage({ type: 'shutdown', drainMs } satisfies ToWorker);
          }),
      ),
    );
  }
}
