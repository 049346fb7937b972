import type { Config } from '../config/types.js';
import type { LogFormat } from '../observability/logger.js';

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
}

export type ToWorker =
  | { type: 'config'; config: Config; seq: number }
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
