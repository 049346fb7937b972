import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, freePort, startGateway, tempDir, type GatewayProcess } from '../helpers/gateway.js';
import { resolveSettings } from '../../src/server/settings.js';

// SPEC §2: uWS listens with SO_REUSEPORT, so without a check a second gateway would bind the same
// port silently and the kernel would split traffic between the two. Sluice refuses to start.

const CONFIG = '_format_version: "3.0"\nservices:\n  - name: a\n    url: http://127.0.0.1:1\n    routes:\n      - paths: [/]\n';

function start(args: string[]) {
  const file = join(tempDir(), 'gateway.yaml');
  writeFileSync(file, CONFIG);
  return spawnSync(process.execPath, [BIN, 'start', '-c', file, '--workers', '1', ...args], { encoding: 'utf8', timeout: 20000 });
}

describe('listeners and busy ports', () => {
  const stops: Array<() => unknown> = [];
  afterAll(async () => {
    for (const s of stops) await s();
  });

  let first: GatewayProcess;

  it('a second gateway on the same proxy port refuses to start, naming the port', async () => {
    first = await startGateway(CONFIG);
    stops.push(() => first.stop());
    const r = start(['--proxy-listen', `127.0.0.1:${first.proxyPort}`, '--admin-listen', `127.0.0.1:${await freePort()}`]);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain(`proxy listener 127.0.0.1:${first.proxyPort}: port ${first.proxyPort} is already held by another process (EADDRINUSE)`);
    // The first gateway still owns the port alone: every request reaches it and nothing else.
    for (let i = 0; i < 5; i++) {
      const s = (await (await fetch(`${first.admin}/status`)).json()) as { config: { hash: string } };
      expect(typeof s.config.hash).toBe('string');
    }
  });

  it('a busy admin port is refused too, and a wildcard listener conflicts with a loopback one', async () => {
    const r = start(['--proxy-listen', `127.0.0.1:${await freePort()}`, '--admin-listen', `127.0.0.1:${first.adminPort}`]);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain(`admin listener 127.0.0.1:${first.adminPort}: port ${first.adminPort} is already held by another process`);
    const w = start(['--proxy-listen', `0.0.0.0:${first.proxyPort}`, '--admin-listen', 'off']);
    expect(w.status).toBe(1);
    expect(w.stdout + w.stderr).toContain('EADDRINUSE');
  });

  it('a port held by another program says why', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((res) => holder.listen(port, '127.0.0.1', res));
    stops.push(() => new Promise((res) => holder.close(res)));
    const r = start(['--proxy-listen', `127.0.0.1:${port}`, '--admin-listen', 'off']);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain(`proxy listener 127.0.0.1:${port}: port ${port} is already held by another process (EADDRINUSE)`);
  });

  it('the start-up line and /status list every listener', async () => {
    const started = first.logs().find((l) => l.msg === 'sluice started') as { listeners: unknown } | undefined;
    const want = [
      { name: 'proxy', address: `127.0.0.1:${first.proxyPort}`, active: true },
      { name: 'proxy_tls', address: `127.0.0.1:${first.tlsPort}`, active: false },
      { name: 'admin', address: `127.0.0.1:${first.adminPort}`, active: true },
    ];
    expect(started?.listeners).toEqual(want);
    const s = (await (await fetch(`${first.admin}/status`)).json()) as { listeners: unknown };
    expect(s.listeners).toEqual(want);
  });

  it("the TLS listener defaults to the proxy listener's host", () => {
    expect(resolveSettings({ 'proxy-listen': '127.0.0.1:9000' }, {})).toMatchObject({ tlsHost: '127.0.0.1', tlsPort: 8443 });
    expect(resolveSettings({ 'proxy-listen': '[::1]:9000' }, {})).toMatchObject({ tlsHost: '::1', tlsPort: 8443 });
    expect(resolveSettings({}, {})).toMatchObject({ proxyHost: '0.0.0.0', tlsHost: '0.0.0.0', tlsPort: 8443 });
    expect(resolveSettings({ 'proxy-listen': '127.0.0.1:9000', 'proxy-listen-tls': '0.0.0.0:9443' }, {})).toMatchObject({ tlsHost: '0.0.0.0', tlsPort: 9443 });
  });
});
