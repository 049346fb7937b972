import type { Snapshot } from '../snapshot/types.js';
import type { ProxyRequest } from './http.js';

/** What a worker shares with every request it serves. `snapshot` is swapped by a reload. */
export interface ProxyState {
  snapshot: Snapshot;
  /** Port of the listener (X-Forwarded-Port, hosts with `:port`), and as text. */
  port: number;
  portText: string;
  tls: boolean;
  maxHeaderBytes: number;
  /** Called once when a request is finished (access log + metrics). */
  onFinish: (r: ProxyRequest) => void;
  /** Requests currently in flight (graceful drain waits for 0). */
  inFlight: number;
  /** Per-worker request-id prefix. */
  idPrefix: string;
  idCounter: number;
}
