/**
 * The single executable (dist/sluice, `npm run build:binary`), SPEC §1 and §9. These run when
 * SLUICE_TEST_COMMAND names the binary (CI's binary stage: `SLUICE_TEST_COMMAND=dist/sluice`,
 * where glibc >= 2.38); otherwise they are skipped. The e2e suite runs against the same binary.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, SLUICE, SLUICE_ARGS, freePort, tempDir } from '../helpers/gateway.js';

const isBinary = SLUICE_ARGS.length === 0 && SLUICE !== process.execPath && existsSync(SLUICE);
const CONFIG = [
  '_format_version: "3.0"',
  'services:',
  '  - name: echo',
  '    url: http://127.0.0.1:9',
  '    routes:',
  '      - name: r',
  '        paths: [/r]',
  '',
].join('\n');

/** The binary with no environment at all (`env -i`), from an empty directory. */
function bare(args: string[], env: Record<string, string> = {}, cwd = tempDir('sluice-bin-cwd-')) {
  return spawnSync(SLUICE, args, { cwd, env, encoding: 'utf8', timeout: 30_000 });
}

/** Every module id src/ loads through src/lazy.ts's lazy('id'), found in the sources. */
function lazyIdsInSources(): string[] {
  const ids = new Set<string>();
  const src = join(REPO_ROOT, 'src');
  for (const f of readdirSync(src, { recursive: true }).map(String)) {
    if (!f.endsWith('.ts')) continue;
    for (const m of readFileSync(join(src, f), 'utf8').matchAll(/\blazy(?:<.*?>)?\(\s*'([^']+)'\s*\)/g)) ids.add(m[1]!);
  }
  return [...ids].sort();
}

async function waitForStatus(adminPort: number, proc: { exitCode: number | null }): Promise<Record<string, unknown>> {
  const until = Date.now() + 20_000;
  while (Date.now() < until && proc.exitCode === null) {
    const body = await fetch(`http://127.0.0.1:${adminPort}/status`).then((r) => (r.ok ? r.json() : null), () => null);
    if (body) return body as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the binary did not serve /status');
}

describe.skipIf(!isBinary)('dist/sluice, the single executable', () => {
  it('loads every module that src/lazy.ts loads by name (each must be bundled)', () => {
    const ids = lazyIdsInSources();
    expect(ids).toEqual(expect.arrayContaining(['undici', 'jose', 'ioredis', 'bcryptjs', 'ajv', 'ajv-formats']));
    const r = bare(['__lazy-modules']);
    expect(r.status, r.stderr).toBe(0);
    const loaded = JSON.parse(r.stdout) as Record<string, string>;
    for (const id of ids) expect(loaded[id], `lazy('${id}')`).toBe('ok');
  });

  it('runs every inspection command with no environment, from an empty directory', () => {
    const dir = tempDir('sluice-bin-cmd-');
    writeFileSync(join(dir, 'gateway.yaml'), CONFIG);
    writeFileSync(join(dir, 'new.yaml'), CONFIG.replace('/r]', '/r, /s]'));
    const version = bare(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^sluice \d+\.\d+\.\d+\nnode 24\.\d+\.\d+\nuws 20\.57\.0\nglibc 2\.\d+\n$/);
    expect(bare(['validate'], {}, dir)).toMatchObject({ status: 0 });
    expect(bare(['validate', '--json', '-c', 'gateway.yaml'], {}, dir).stdout).toMatch(/"valid":\s*true/);
    const routes = bare(['routes'], {}, dir);
    expect(routes.status).toBe(0);
    expect(routes.stdout).toMatch(/\/r/);
    expect(bare(['explain', 'GET', 'http://x/r'], {}, dir)).toMatchObject({ status: 0 });
    expect(bare(['explain', 'GET', 'http://x/nope'], {}, dir)).toMatchObject({ status: 3 });
    expect(bare(['diff', 'gateway.yaml', 'new.yaml'], {}, dir)).toMatchObject({ status: 1 });
    expect(bare(['--help']).stdout).toMatch(/Usage: sluice/);
  });

  it('starts, serves, reports its runtime in /status and drains on SIGTERM with no environment', async () => {
    const dir = tempDir('sluice-bin-start-');
    writeFileSync(join(dir, 'gateway.yaml'), CONFIG);
    const [proxy, admin] = [await freePort(), await freePort()];
    const proc = spawn(SLUICE, ['start', '--proxy-listen', `127.0.0.1:${proxy}`, '--admin-listen', `127.0.0.1:${admin}`, '--workers', '2'], { cwd: dir, env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const status = await waitForStatus(admin, proc);
      expect(status.runtime).toMatchObject({ node: expect.stringMatching(/^24\./), uws: '20.57.0', glibc: expect.stringMatching(/^2\.\d+$/) });
      const r = await fetch(`http://127.0.0.1:${proxy}/nothing-here`);
      expect(r.status).toBe(404);
      await r.text();
    } finally {
      proc.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((res) => proc.once('exit', (c) => res(c)));
    expect(code).toBe(0);
  });

  it('extracts into a private per-uid directory (owner and mode checked) and refuses one others can reach', () => {
    const tmp = tempDir('sluice-bin-tmp-');
    expect(bare(['--version'], { TMPDIR: tmp }).status).toBe(0);
    const priv = join(tmp, `sluice-${process.getuid!()}`);
    const st = lstatSync(priv);
    expect(st.isDirectory()).toBe(true);
    expect(st.uid).toBe(process.getuid!());
    expect(st.mode & 0o777).toBe(0o700);

    const open = tempDir('sluice-bin-open-');
    mkdirSync(join(open, `sluice-${process.getuid!()}`));
    chmodSync(join(open, `sluice-${process.getuid!()}`), 0o777);
    const refused = bare(['--version'], { TMPDIR: open });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/accessible to other users/);

    const link = tempDir('sluice-bin-link-');
    symlinkSync(tmp, join(link, `sluice-${process.getuid!()}`));
    const linked = bare(['--version'], { TMPDIR: link });
    expect(linked.status).toBe(1);
    expect(linked.stderr).toMatch(/not a directory/);
  });

  const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;
  it.skipIf(!canUnshare)('runs with a read-only root file system and only /tmp writable', async () => {
    const [proxy, admin] = [await freePort(), await freePort()];
    // A private mount namespace: / read-only, a fresh tmpfs on /tmp; the config is written there.
    const script = [
      'set -e',
      'mount --bind / /',
      // The binary may live under /tmp (a clone there): reach it through /mnt, read-only too.
      'mount --bind "$(dirname "$BIN")" /mnt',
      'mount -o remount,bind,ro /mnt',
      'mount -o remount,bind,ro /',
      'mount -t tmpfs -o mode=1777 tmpfs /tmp',
      'if touch /sluice-rw-probe 2>/dev/null; then echo "root is writable"; exit 9; fi',
      'printf "%s" "$CONFIG" > /tmp/gateway.yaml',
      'cd /',
      `/mnt/"$(basename "$BIN")" validate -c /tmp/gateway.yaml`,
      `exec env -i /mnt/"$(basename "$BIN")" start -c /tmp/gateway.yaml --proxy-listen 127.0.0.1:${proxy} --admin-listen 127.0.0.1:${admin} --workers 1`,
    ].join('\n');
    const proc = spawn('unshare', ['-m', 'sh', '-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CONFIG, BIN: SLUICE }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const status = await waitForStatus(admin, proc).catch((e: Error) => {
        throw new Error(`${e.message}\n${out}`);
      });
      expect(status.runtime).toMatchObject({ uws: '20.57.0' });
      expect(out).toMatch(/valid/);
    } finally {
      proc.kill('SIGTERM');
    }
    expect(await new Promise<number | null>((res) => proc.once('exit', (c) => res(c)))).toBe(0);
  });
});
