/** syslog through the plugin harness: RFC 5424 datagrams to a real UDP receiver on 127.0.0.1. */
import { describe, expect, it } from 'vitest';
import { useUdpReceiver } from '../../../test/helpers/udp-receiver.js';
import { createPluginRunner, runPlugin } from '../harness.js';
import { syslog } from './index.js';

const receiver = useUdpReceiver();

/** `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG` */
const RFC5424 = /^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) - - (.*)$/s;

describe('syslog (harness)', () => {
  it('sends an RFC 5424 message: PRI = facility × 8 + the severity for the status class, MSG the JSON entry', async () => {
    const r = await receiver();
    const runner = createPluginRunner(syslog, { port: r.port, facility: 'local0', successful_severity: 'info', client_errors_severity: 'warning', server_errors_severity: 'crit' });
    await runner.run({ path: '/ok' }, { status: 200 });
    await runner.run({ path: '/missing' }, { status: 404 });
    await runner.run({ path: '/broken' }, { status: 503 });
    const msgs = (await r.datagrams(3)).map((d) => RFC5424.exec(d));
    expect(msgs.every((m) => m !== null)).toBe(true);
    expect(msgs.map((m) => Number(m![1]))).toEqual([16 * 8 + 6, 16 * 8 + 4, 16 * 8 + 2]);
    const [, , time, , app, procid, msg] = msgs[0]!;
    expect(Number.isNaN(Date.parse(time!))).toBe(false);
    expect(app).toBe('sluice');
    expect(procid).toBe(String(process.pid));
    expect(JSON.parse(msg!)).toMatchObject({ request: { uri: '/ok' }, response: { status: 200 } });
  });

  it('sends nothing for a request less severe than log_level', async () => {
    const r = await receiver();
    const runner = createPluginRunner(syslog, { port: r.port, log_level: 'warning', successful_severity: 'info', server_errors_severity: 'err' });
    await runner.run({ path: '/quiet' }, { status: 200 });
    await runner.run({ path: '/loud' }, { status: 500 });
    // Datagrams from one socket on loopback arrive in order: the first one received is the 500's.
    const [first] = await r.datagrams(1);
    expect(JSON.parse(RFC5424.exec(first!)![6]!).request.uri).toBe('/loud');
    expect(Number(RFC5424.exec(first!)![1])).toBe(1 * 8 + 3);
  });

  it('refuses an unknown facility or severity', async () => {
    await expect(runPlugin(syslog, { facility: 'local9' })).rejects.toThrow(/invalid config for syslog: \/facility/);
    await expect(runPlugin(syslog, { log_level: 'verbose' })).rejects.toThrow(/invalid config for syslog: \/log_level/);
  });
});
