/**
 * src/uws/load.ts: the one place that loads uWebSockets.js (SPEC §1). Whichever runtime runs the
 * suite (Node 20 + uWS 20.30 on glibc < 2.38; Node 22/24 + 20.57 on glibc >= 2.38), the loader
 * must pick the newest build that loads, never the `ws` fallback, and say why when none does.
 */
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glibcVersion, loadUws, runtimeInfo, uwsEnvironment } from '../../../src/uws/load.js';
import { REPO_ROOT } from '../../helpers/gateway.js';

const glibcAtLeast = (v: string | null, want: [number, number]) => {
  if (v === null) return false;
  const [a, b] = v.split('.').map(Number) as [number, number];
  return a > want[0] || (a === want[0] && b >= want[1]);
};

describe('uWS loader', () => {
  it('loads the newest native build this Node and glibc can load', () => {
    const { uws, build } = loadUws();
    expect(typeof uws.App).toBe('function');
    expect(typeof uws.SSLApp).toBe('function');
    expect(build.file).toMatch(new RegExp(`uws_${process.platform}_${process.arch}_${process.versions.modules}\\.node$`));
    const abi = Number(process.versions.modules);
    if (glibcAtLeast(glibcVersion(), [2, 38]) && [115, 127, 137, 141].includes(abi)) expect(build.version).toBe('20.57.0');
    else expect(build.version).toBe('20.30.0');
  });

  it("silences uWS's own `uWebSockets: 20` response header (Date stays)", async () => {
    const { uws } = loadUws();
    const app = uws.App().any('/*', (res) => void res.end('x'));
    let token: unknown = null;
    const port = await new Promise<number>((resolve) => app.listen('127.0.0.1', 0, (t) => { token = t; resolve(uws.us_socket_local_port(t)); }));
    try {
      const head = await new Promise<string>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        let got = '';
        s.on('data', (d) => {
          got += d.toString('latin1');
          if (got.endsWith('\r\n\r\nx')) { s.destroy(); resolve(got); }
        });
        s.on('error', reject);
        s.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      });
      expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\nDate: [^\r]+\r\nContent-Length: 1\r\n\r\nx$/);
      expect(head).not.toMatch(/uWebSockets/i);
    } finally {
      uws.us_listen_socket_close(token as Parameters<typeof uws.us_listen_socket_close>[0]);
    }
  });

  it('reports {node, uws, glibc}', () => {
    const rt = runtimeInfo();
    expect(rt.node).toBe(process.versions.node);
    expect(rt.uws).toMatch(/^20\.(57|30)\.0$/);
    if (process.platform === 'linux') expect(rt.glibc).toMatch(/^2\.\d+$/);
  });

  it("sets uWS's header-size limit from SLUICE_MAX_HEADER_BYTES, leaving room above it for Sluice's own 431", () => {
    expect(uwsEnvironment({})).toEqual({ UWS_HTTP_MAX_HEADERS_SIZE: '65536' });
    expect(uwsEnvironment({ SLUICE_MAX_HEADER_BYTES: '65536' })).toEqual({ UWS_HTTP_MAX_HEADERS_SIZE: String(2 * 65536 + 8192) });
    expect(uwsEnvironment({ SLUICE_MAX_HEADER_BYTES: 'junk' })).toEqual({ UWS_HTTP_MAX_HEADERS_SIZE: '65536' });
  });

  it('refuses the ws fallback with a clear error, and --version still answers', () => {
    const script = `import('./dist/uws/load.js').then((m) => { try { m.loadUws(); console.log('loaded'); } catch (e) { console.log(e.constructor.name + ': ' + e.message); } })`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, env: { ...process.env, UWS_USE_FALLBACK: '1' }, encoding: 'utf8' });
    expect(r.stdout).toMatch(/^UwsLoadError: uWebSockets.js native binary is not loaded: UWS_USE_FALLBACK is set/);
    const v = spawnSync(process.execPath, ['bin/sluice.js', '--version'], { cwd: REPO_ROOT, env: { ...process.env, UWS_USE_FALLBACK: '1' }, encoding: 'utf8' });
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^sluice \d+\.\d+\.\d+\nnode \S+\nuws none \(no native build loads here\)\nglibc \S+\n$/);
  });

  it('--version names Sluice, Node, the uWS build and glibc', () => {
    const v = spawnSync(process.execPath, ['bin/sluice.js', '--version'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(v.status).toBe(0);
    expect(v.stdout).toBe(`sluice ${(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version}\nnode ${process.versions.node}\nuws ${runtimeInfo().uws}\nglibc ${glibcVersion()}\n`);
  });
});
