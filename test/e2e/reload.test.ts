import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, renameSync, symlinkSync, writeFileSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { startGateway, tempDir, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let up: Upstream;
let gw: GatewayProcess | null = null;

beforeAll(async () => {
  up = await startUpstream();
});
afterAll(async () => {
  await up?.close();
});
afterEach(async () => {
  await gw?.stop();
  gw = null;
});

/** A config with the permanent route /stable and one extra route per name. */
function config(extra: string[], opts: { upstreamUrl?: string } = {}): string {
  const routes = ['stable', ...extra].map((n) => `      - name: ${n}\n        paths: [/${n}]\n`).join('');
  return `_format_version: "3.0"\nservices:\n  - name: svc\n    url: ${opts.upstreamUrl ?? up.url}\n    routes:\n${routes}`;
}

async function status(g: GatewayProcess): Promise<any> {
  return (await fetch(`${g.admin}/status`)).json();
}

async function waitFor(pred: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

const code = async (g: GatewayProcess, path: string): Promise<number> => (await fetch(`${g.url}${path}`)).status;

describe('reload triggers', () => {
  it('reloads when the file is rewritten in place (git checkout, editors without rename)', async () => {
    gw = await startGateway(config([]));
    expect(await code(gw, '/a')).toBe(404);
    const before = (await status(gw)).config.hash;
    writeFileSync(gw.configPath, config(['a']));
    await waitFor(async () => (await code(gw!, '/a')) === 200);
    const s = await status(gw);
    expect(s.config.hash).not.toBe(before);
    expect(s.workers.every((w: any) => w.config_hash === s.config.hash)).toBe(true);
    expect(s.reload.ok).toBe(true);
    await gw.waitForLog((l) => l.msg === 'reload: new configuration serving' && l.trigger === 'file');
  });

  it('does not re-parse a file whose bytes did not change (touch, same-content save)', async () => {
    gw = await startGateway(config(['same']));
    writeFileSync(gw.configPath, config(['same']));
    // The watcher and the 1 s poll both see the write; neither may load the unchanged bytes.
    await new Promise((r) => setTimeout(r, 2500));
    expect(gw.logs().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('reload') && l.trigger === 'file')).toEqual([]);
    // A real change still loads.
    writeFileSync(gw.configPath, config(['same', 'changed']));
    await waitFor(async () => (await code(gw!, '/changed')) === 200);
  });

  it("reloads on an editor's atomic rename", async () => {
    gw = await startGateway(config([]));
    const tmp = join(gw.configPath + '.tmp~');
    writeFileSync(tmp, config(['renamed']));
    renameSync(tmp, gw.configPath);
    await waitFor(async () => (await code(gw!, '/renamed')) === 200);
  });

  it('reloads on a Kubernetes ConfigMap ..data symlink swap', async () => {
    const dir = tempDir();
    const v1 = join(dir, '..2026_11_22_10_00_00.000');
    mkdirSync(v1);
    writeFileSync(join(v1, 'gateway.yaml'), config([]));
    symlinkSync('..2026_11_22_10_00_00.000', join(dir, '..data'));
    symlinkSync('..data/gateway.yaml', join(dir, 'gateway.yaml'));
    gw = await startGateway(null, { configPath: join(dir, 'gateway.yaml') });
    expect(await code(gw, '/k8s')).toBe(404);
    // What the kubelet does: write a new timestamped dir, then atomically swap ..data.
    const v2 = join(dir, '..2026_11_22_10_05_00.000');
    mkdirSync(v2);
    writeFileSync(join(v2, 'gateway.yaml'), config(['k8s']));
    symlinkSync('..2026_11_22_10_05_00.000', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await waitFor(async () => (await code(gw!, '/k8s')) === 200);
  });

  it('reloads when a {vault://file/...} secret changes', async () => {
    const dir = tempDir();
    const secretDir = join(dir, 'secrets');
    mkdirSync(secretDir);
    const other = await startUpstream((_req, res) => res.end('other upstream'));
    try {
      writeFileSync(join(secretDir, 'upstream'), up.url);
      const yaml = `_format_version: "3.0"\nservices:\n  - name: svc\n    url: "{vault://file/secrets/upstream}"\n    routes:\n      - name: r\n        paths: [/r]\n`;
      gw = await startGateway(yaml, { configPath: join(dir, 'gateway.yaml') });
      expect(await (await fetch(`${gw.url}/r`)).text()).toContain('"method":"GET"');
      writeFileSync(join(secretDir, 'upstream'), other.url + '\n');
      await waitFor(async () => (await (await fetch(`${gw!.url}/r`)).text()) === 'other upstream');
    } finally {
      await other.close();
    }
  });

  it('reloads on SIGHUP and on POST /reload, re-reading the file each time', async () => {
    gw = await startGateway(config([]));
    process.kill(gw.pid, 'SIGHUP');
    await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('reload:') && l.trigger === 'signal');
    const r = await fetch(`${gw.admin}/reload`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ ok: true, changed: false });
    await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('reload:') && l.trigger === 'admin');
    expect((await status(gw)).reload.at).not.toBeNull();
  });
});

describe('last known good', () => {
  it('keeps serving the old config on an invalid file, reports it with its line, and recovers', async () => {
    gw = await startGateway(config(['old']));
    const good = (await status(gw)).config.hash;
    writeFileSync(gw.configPath, config(['old']) + '      - name: broken\n        paths: [nope]\n');
    await waitFor(async () => (await status(gw!)).reload.ok === false);
    const s = await status(gw);
    expect(s.config.hash).toBe(good);
    expect(s.reload.error).toMatchObject({ file: expect.stringContaining('gateway.yaml'), line: 11 });
    expect(s.reload.error.message).toMatch(/paths\[0\]/);
    expect(await code(gw, '/old')).toBe(200);
    const line = await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('reload failed'));
    expect(String(line.msg)).toMatch(/gateway\.yaml:11:\d+/);
    // A POST /reload of the bad file answers 400 with the errors.
    const r = await fetch(`${gw.admin}/reload`, { method: 'POST' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).errors[0].line).toBe(11);
    // YAML that does not parse at all: same.
    writeFileSync(gw.configPath, '_format_version: "3.0"\nservices: [\n');
    await waitFor(async () => (await status(gw!)).reload.error?.line === 3 || (await status(gw!)).reload.error?.line === 2);
    expect(await code(gw, '/old')).toBe(200);
    // Recovery.
    writeFileSync(gw.configPath, config(['old', 'fixed']));
    await waitFor(async () => (await code(gw!, '/fixed')) === 200);
    const after = await status(gw);
    expect(after.reload).toMatchObject({ ok: true, error: null });
  });

  it('refuses to start on an invalid file, printing FILE:LINE:COL', async () => {
    await expect(startGateway('_format_version: "3.0"\nservices:\n  - name: x\n    url: not a url\n')).rejects.toThrow(/gateway\.yaml:4:\d+/);
  });
});

/** Keeps `clients` keep-alive connections busy on /stable; counts every failure. */
function hammer(g: GatewayProcess, clients: number): { stop(): Promise<{ ok: number; failed: string[] }> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let running = true;
  let ok = 0;
  const failed: string[] = [];
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get(`${g.url}/stable`, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok++;
          else failed.push(`status ${res.statusCode}`);
          resolve();
        });
        res.on('error', (e) => {
          failed.push(e.message);
          resolve();
        });
      });
      req.on('error', (e) => {
        failed.push(e.message);
        resolve();
      });
    });
  const loops = Array.from({ length: clients }, async () => {
    while (running) await one();
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { ok, failed };
    },
  };
}

describe('zero-downtime swaps under load', () => {
  for (const workers of [1, 2]) {
    it(`20 keep-alive clients see no failure across 20 rewrites (--workers ${workers})`, async () => {
      gw = await startGateway(config([]), { workers, logLevel: 'warn' });
      const load = hammer(gw, 20);
      let prev = (await status(gw)).config.hash;
      for (let i = 0; i < 20; i++) {
        const extra = i % 2 === 0 ? [`r${i}`, `r${i}b`] : [`r${i}`];
        writeFileSync(gw.configPath, config(extra));
        await waitFor(async () => {
          const s = await status(gw!);
          return s.config.hash !== prev && s.workers.every((w: any) => w.config_hash === s.config.hash);
        });
        prev = (await status(gw)).config.hash;
        expect(await code(gw, `/r${i}`)).toBe(200);
        if (i > 0) expect(await code(gw, `/r${i - 1}`)).toBe(404);
      }
      const result = await load.stop();
      expect(result.failed).toEqual([]);
      expect(result.ok).toBeGreaterThan(100);
    });
  }
});

describe('graceful shutdown', () => {
  it('finishes in-flight requests on SIGTERM and exits 0', async () => {
    const slow = await startUpstream((_req, res) => setTimeout(() => res.end('finished'), 800));
    try {
      gw = await startGateway(config([], { upstreamUrl: slow.url }), { workers: 2 });
      const inflight = fetch(`${gw.url}/stable`).then(async (r) => ({ status: r.status, body: await r.text() }));
      await new Promise((r) => setTimeout(r, 200));
      const exit = gw.stop('SIGTERM');
      expect(await inflight).toEqual({ status: 200, body: 'finished' });
      expect(await exit).toBe(0);
      // The listener is closed: new connections are refused.
      await expect(fetch(`${gw.url}/stable`)).rejects.toThrow();
    } finally {
      await slow.close();
    }
  });
});
