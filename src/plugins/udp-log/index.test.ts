/** udp-log through the plugin harness, against a real UDP receiver on 127.0.0.1. */
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPluginRunner, runPlugin } from '../harness.js';
import { udpLog } from './index.js';

let socket: Socket | null = null;
afterEach(async () => {
  if (socket !== null) await new Promise<void>((r) => socket!.close(() => r()));
  socket = null;
});

async function receiver(): Promise<{ port: number; datagrams: (n: number) => Promise<string[]> }> {
  const got: string[] = [];
  let waiting: { n: number; resolve: (d: string[]) => void } | null = null;
  socket = createSocket('udp4');
  socket.on('message', (m) => {
    got.push(m.toString());
    if (waiting !== null && got.length >= waiting.n) waiting.resolve(got.slice(0, waiting.n));
  });
  await new Promise<void>((r) => socket!.bind(0, '127.0.0.1', r));
  return {
    port: (socket.address() as AddressInfo).port,
    datagrams: (n) => (got.length >= n ? Promise.resolve(got.slice(0, n)) : new Promise((resolve) => (waiting = { n, resolve }))),
  };
}

describe('udp-log (harness)', () => {
  it("sends one datagram per request holding Kong's JSON entry", async () => {
    const r = await receiver();
    const runner = createPluginRunner(udpLog, { host: '127.0.0.1', port: r.port });
    await runner.run({ method: 'DELETE', path: '/items/3', clientIp: '198.51.100.4' }, { status: 204 });
    await runner.run({ path: '/items' }, { status: 200 });
    const [a, b] = (await r.datagrams(2)).map((d) => JSON.parse(d) as Record<string, any>);
    expect(a).toMatchObject({ request: { method: 'DELETE', uri: '/items/3' }, response: { status: 204 }, client_ip: '198.51.100.4' });
    expect(b).toMatchObject({ request: { method: 'GET', uri: '/items' } });
  });

  it('requires host and port', async () => {
    await expect(runPlugin(udpLog, { port: 9 })).rejects.toThrow(/invalid config for udp-log: .*host/);
    await expect(runPlugin(udpLog, { host: '127.0.0.1', port: 'x' })).rejects.toThrow(/invalid config for udp-log: \/port/);
  });
});
