import { createServer } from 'node:net';

/**
 * uWS listens with SO_REUSEPORT, so a second gateway on the same port would bind silently and the
 * kernel would split traffic between the two. Before listening, take each port once with a plain
 * socket (no SO_REUSEPORT): that fails while anything else holds it.
 * Resolves null when the port is free, or the reason it is not.
 */
export function portProblem(what: string, host: string, port: number): Promise<string | null> {
  if (port === 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(describe(what, host, port, err.code ?? err.message)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(null)));
  });
}

function describe(what: string, host: string, port: number, code: string): string {
  const where = `${what} ${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `${where}: port ${port} is already held by another process (EADDRINUSE); is another gateway running?`;
    case 'EACCES':
      return `${where}: permission denied (EACCES); ports below 1024 need root or CAP_NET_BIND_SERVICE`;
    case 'EADDRNOTAVAIL':
      return `${where}: no such local address (EADDRNOTAVAIL)`;
    default:
      return `${where}: cannot listen (${code})`;
  }
}

export interface ListenerInfo {
  name: 'proxy' | 'proxy_tls' | 'admin';
  address: string;
  /** False for the TLS listener while no certificate is configured. */
  active: boolean;
}
