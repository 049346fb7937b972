/** tcp-log through the plugin harness, against a real TCP receiver on 127.0.0.1. */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPluginRunner, runPlugin } from '../harness.js';
import { tcpLog } from './index.js';

let server: Server | null = null;
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  if (server !== null) await new Promise((r) => server!.close(r));
  server = null;
});

/** A receiver collecting newline-terminated lines; `lines(n)` resolves once it has n. */
async function receiver(): Promise<{ port: number; lines: (n: number) => Promise<string[]>; connections: () => number }> {
  let buffered = '';
  const got: string[] = [];
  let waiting: { n: number; resolve: (l: string[]) => void } | null = null;
  let connections = 0;
  server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        got.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
      if (waiting !== null && got.length >= waiting.n) waiting.resolve(got.slice(0, waiting.n));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    lines: (n) => (got.length >= n ? Promise.resolve(got.slice(0, n)) : new Promise((resolve) => (waiting = { n, resolve }))),
    connections: () => connections,
  };
}

describe('tcp-log (harness)', () => {
  it("sends one JSON line per request over one kept-alive connection, in Kong's format", async () => {
    const r = await receiver();
    const runner = createPluginRunner(tcpLog, { host: '127.0.0.1', port: r.port });
    await runner.run({ path: '/a', headers: { authorization: 'Basic x' } }, { status: 200 });
    await runner.run({ path: '/b' }, { status: 502 });
    const [a, b] = (await r.lines(2)).map((l) => JSON.parse(l) as Record<string, any>);
    expect(a).toMatchObject({ request: { uri: '/a', headers: { authorization: 'REDACTED' } }, response: { status: 200 } });
    expect(b).toMatchObject({ request: { uri: '/b' }, response: { status: 502 } });
    expect(r.connections()).toBe(1);
  });

  it('requires host and port, and a port in range', async () => {
    await expect(runPlugin(tcpLog, { host: '127.0.0.1' })).rejects.toThrow(/invalid config for tcp-log: .*port/);
    await expect(runPlugin(tcpLog, { host: '127.0.0.1', port: 70000 })).rejects.toThrow(/invalid config for tcp-log: \/port/);
    await expect(runPlugin(tcpLog, { host: '127.0.0.1', port: 9, custom_fields_by_lua: { a: 'b' } })).rejects.toThrow(/custom_fields_by_lua is not supported/);
  });
});
