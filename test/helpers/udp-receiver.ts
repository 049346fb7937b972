import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export interface UdpReceiver {
  port: number;
  /** Resolves with the first `n` datagrams (as text) once that many arrived. */
  datagrams(n: number): Promise<string[]>;
}

/**
 * A UDP receiver on 127.0.0.1 for the log plugins' tests (udp-log, syslog). Registers an afterEach
 * that closes the socket the test opened.
 */
export function useUdpReceiver(): () => Promise<UdpReceiver> {
  let socket: Socket | null = null;
  afterEach(async () => {
    if (socket !== null) await new Promise<void>((r) => socket!.close(() => r()));
    socket = null;
  });
  return async () => {
    const got: string[] = [];
    let waiting: { n: number; resolve: (d: string[]) => void } | null = null;
    const s = createSocket('udp4');
    socket = s;
    s.on('message', (m) => {
      got.push(m.toString());
      if (waiting !== null && got.length >= waiting.n) waiting.resolve(got.slice(0, waiting.n));
    });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    return {
      port: (s.address() as AddressInfo).port,
      datagrams: (n) => (got.length >= n ? Promise.resolve(got.slice(0, n)) : new Promise((resolve) => (waiting = { n, resolve }))),
    };
  };
}
