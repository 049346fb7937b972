/** udp-log through the plugin harness, against a real UDP receiver on 127.0.0.1. */
import { describe, expect, it } from 'vitest';
import { useUdpReceiver } from '../../../test/helpers/udp-receiver.js';
import { createPluginRunner, runPlugin } from '../harness.js';
import { udpLog } from './index.js';

const receiver = useUdpReceiver();

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
