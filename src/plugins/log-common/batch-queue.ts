import { pluginDropped } from '../../observability/plugin-metrics.js';

/**
 * Kong's plugin queue (kong/tools/queue) for the logging plugins: entries are pushed from the
 * log phase (an array push, nothing else on the request path) and handed to `send` in batches
 * of at most `maxBatchSize`, at the latest `maxCoalescingDelay` after the first entry was
 * queued. A failed batch is retried with exponential backoff (initialRetryDelay doubling up to
 * maxRetryDelay) until maxRetryTime has passed since its first attempt, then dropped. One batch
 * is in flight at a time (Kong's concurrency_limit 1). Memory is bounded: beyond `maxEntries`
 * the oldest entry is dropped and counted (sluice_log_entries_dropped_total{plugin,reason}).
 * Timers are unref'd: a queue never keeps a process alive.
 */
export interface QueueOptions {
  /** For the dropped-entries counter. */
  plugin: string;
  maxBatchSize: number;
  /** Seconds. */
  maxCoalescingDelay: number;
  maxEntries: number;
  /** Seconds. */
  initialRetryDelay: number;
  maxRetryDelay: number;
  maxRetryTime: number;
}

export class BatchQueue<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private sending = false;
  /** Entries dropped so far (queue full, or retries exhausted). */
  dropped = 0;

  constructor(
    private readonly opts: QueueOptions,
    private readonly send: (batch: T[]) => Promise<void>,
  ) {}

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    if (items.length >= this.opts.maxEntries) {
      items.shift();
      this.drop(1, 'queue_full');
    }
    items.push(item);
    this.schedule();
  }

  private drop(n: number, reason: string): void {
    this.dropped += n;
    pluginDropped(this.opts.plugin, reason, n);
  }

  private schedule(): void {
    if (this.sending || this.immediate !== null) return;
    if (this.items.length >= this.opts.maxBatchSize || this.opts.maxCoalescingDelay <= 0) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      this.immediate = setImmediate(() => this.flush());
      this.immediate.unref();
      return;
    }
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.opts.maxCoalescingDelay * 1000);
      this.timer.unref();
    }
  }

  private flush(): void {
    this.timer = null;
    this.immediate = null;
    if (this.sending || this.items.length === 0) return;
    const batch = this.items.splice(0, this.opts.maxBatchSize);
    this.sending = true;
    void this.deliver(batch).finally(() => {
      this.sending = false;
      if (this.items.length > 0) this.schedule();
    });
  }

  private async deliver(batch: T[]): Promise<void> {
    const { initialRetryDelay, maxRetryDelay, maxRetryTime } = this.opts;
    const first = Date.now();
    let delay = initialRetryDelay;
    for (;;) {
      try {
        await this.send(batch);
        return;
      } catch {
        if ((Date.now() - first) / 1000 + delay > maxRetryTime) {
          this.drop(batch.length, 'retries_exhausted');
          return;
        }
        await sleep(delay * 1000);
        delay = Math.min(delay * 2, maxRetryDelay);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** Kong's `queue` config block (seconds), with Kong's defaults. */
export interface QueueConfig {
  max_batch_size: number;
  max_coalescing_delay: number;
  max_entries: number;
  max_bytes: number | null;
  max_retry_time: number;
  initial_retry_delay: number;
  max_retry_delay: number;
  concurrency_limit: number;
}

export function queueOptions(plugin: string, q: QueueConfig): QueueOptions {
  return {
    plugin,
    maxBatchSize: q.max_batch_size,
    maxCoalescingDelay: q.max_coalescing_delay,
    maxEntries: q.max_entries,
    initialRetryDelay: q.initial_retry_delay,
    maxRetryDelay: q.max_retry_delay,
    maxRetryTime: q.max_retry_time,
  };
}
