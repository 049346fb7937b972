import { deserialize, serialize } from 'node:v8';
import type { Config } from '../config/types.js';
import type { LogFormat } from '../observability/logger.js';
import type { PluginsSpec } from '../plugins/custom/load.js';

/**
 * A Config serialized once into shared memory. postMessage clones its payload for each worker:
 * for 10,000 routes and consumers that is ~100 ms of main-thread time per worker, and the last
 * worker starts compiling only after every clone before it.
 */
export type PackedConfig = SharedArrayBuffer;

export function packConfig(config: Config): PackedConfig {
  const bytes = serialize(config);
  const shared = new SharedArrayBuffer(bytes.length);
  new Uint8Array(shared).set(bytes);
  return shared;
}

export function unpackConfig(packed: PackedConfig): Config {
  return deserialize(new Uint8Array(packed)) as Config;
}

/** What a proxy worker needs to start (structured-clone safe). */
export interface WorkerSettings {
  index: number;
  host: string;
  port: number;
  /** TLS listener (served only while the configuration has certificates). */
  tlsHost: string;
  tlsPort: number;
  maxHeaderBytes: number;
  logLevel: string;
  logFormat: LogFormat;
  /** Custom plugins to load (every worker loads its own module instances). */
  plugins?: PluginsSpec;
  pluginTimeoutMs?: number;
}

export type ToWorker =
  | { type: 'config'; config: PackedConfig; seq: number; /** The plugin files' version (Catalogue.version) the main thread validated with. */ plugins?: string }
  | { type: 'metrics'; id: number }
  | { type: 'stats'; id: number }
  | { type: 'shutdown'; drainMs: number };

export type FromWorker =
  | { type: 'ready'; hash: string }
  | { type: 'listen-failed'; message: string }
  | { type: 'swapped'; hash: string; seq: number }
  | { type: 'swap-failed'; seq: number; message: string }
  | { type: 'metrics'; id: number; data: unknown }
  | { type: 'stats'; id: number; inFlight: number; websockets: number; hash: string; upstreams: Record<string, Array<{ target: string; healthy: boolean; active: number }>> }
  | { type: 'closed' };
