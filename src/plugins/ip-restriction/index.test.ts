/** ip-restriction through the plugin harness (src/plugins/harness.ts): the client address is FakeRequest.clientIp. */
import { describe, expect, it } from 'vitest';
import { runPlugin } from '../harness.js';
import { ipRestriction } from './index.js';

const from = (clientIp: string) => ({ clientIp });

describe('ip-restriction (harness)', () => {
  it('allow: an address inside an allowed CIDR passes, one outside gets 403 with Kong message', async () => {
    const conf = { allow: ['10.0.0.0/8', '192.168.1.7'] };
    expect((await runPlugin(ipRestriction, conf, from('10.20.30.40'))).answered).toBeNull();
    expect((await runPlugin(ipRestriction, conf, from('192.168.1.7'))).answered).toBeNull();
    const r = await runPlugin(ipRestriction, conf, from('192.168.1.8'));
    expect(r.response.status).toBe(403);
    expect(JSON.parse(r.response.body.toString()).message).toBe('Your IP address is not allowed');
  });

  it('deny: an address inside a denied CIDR is refused, others pass', async () => {
    const conf = { deny: ['203.0.113.0/24'] };
    expect((await runPlugin(ipRestriction, conf, from('203.0.113.9'))).response.status).toBe(403);
    expect((await runPlugin(ipRestriction, conf, from('203.0.114.9'))).answered).toBeNull();
  });

  it('deny wins over allow for an address in both', async () => {
    const conf = { allow: ['10.0.0.0/8'], deny: ['10.1.0.0/16'] };
    expect((await runPlugin(ipRestriction, conf, from('10.1.2.3'))).response.status).toBe(403);
    expect((await runPlugin(ipRestriction, conf, from('10.2.2.3'))).answered).toBeNull();
  });

  it('handles IPv6 ranges', async () => {
    const conf = { allow: ['2001:db8::/32'] };
    expect((await runPlugin(ipRestriction, conf, from('2001:db8:1::1'))).answered).toBeNull();
    expect((await runPlugin(ipRestriction, conf, from('2001:db9::1'))).response.status).toBe(403);
  });

  it('status and message replace the refusal', async () => {
    const r = await runPlugin(ipRestriction, { deny: ['127.0.0.1'], status: 401, message: 'go away' }, from('127.0.0.1'));
    expect(r.response.status).toBe(401);
    expect(JSON.parse(r.response.body.toString()).message).toBe('go away');
  });

  it('refuses a config without a list, a bad address, and a status out of range', async () => {
    await expect(runPlugin(ipRestriction, {})).rejects.toThrow(/invalid config for ip-restriction: +must set allow or deny/);
    await expect(runPlugin(ipRestriction, { allow: ['10.0.0.0/33'] })).rejects.toThrow(/invalid config for ip-restriction: allow\.0 /);
    await expect(runPlugin(ipRestriction, { allow: ['10.0.0.1'], status: 99 })).rejects.toThrow(/invalid config for ip-restriction: \/status/);
  });
});
