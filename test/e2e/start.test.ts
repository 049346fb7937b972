import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SLUICE, SLUICE_ARGS, REPO_ROOT, freePort, tempDir } from '../helpers/gateway.js';

const CONFIG = '_format_version: "3.0"\nservices:\n  - name: a\n    url: http://127.0.0.1:1\n    routes:\n      - paths: [/]\n';

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(SLUICE, [...SLUICE_ARGS, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20000 });
}

describe('sluice start settings', () => {
  it('refuses to run on the uWS ws fallback', async () => {
    const file = join(tempDir(), 'gateway.yaml');
    writeFileSync(file, CONFIG);
    const r = run(['start', '-c', file, '--proxy-listen', `127.0.0.1:${await freePort()}`, '--admin-listen', 'off', '--workers', '1'], { UWS_USE_FALLBACK: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/native binary is not loaded/);
  });

  it('refuses an admin listener beyond loopback without SLUICE_ADMIN_TOKEN', () => {
    const r = run(['start', '--admin-listen', '0.0.0.0:8001']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/SLUICE_ADMIN_TOKEN/);
  });

  it('rejects bad flags and values with exit 2', () => {
    expect(run(['start', '--nope']).status).toBe(2);
    const w = run(['start', '--workers', 'zero']);
    expect(w.status).toBe(2);
    expect(w.stderr).toMatch(/workers/);
    expect(run(['start', '--proxy-listen', 'nowhere']).status).toBe(2);
  });

  it('exits 1 when the config file does not exist', async () => {
    const r = run(['start', '-c', join(tempDir(), 'missing.yaml'), '--proxy-listen', `127.0.0.1:${await freePort()}`, '--admin-listen', 'off', '--workers', '1']);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/missing\.yaml/);
  });

  it("the repository's own gateway.yaml (what `npm start` serves) is valid", () => {
    const r = run(['validate', '-c', join(REPO_ROOT, 'gateway.yaml')]);
    expect(r.stdout + r.stderr).toMatch(/valid \(2 services, 6 routes, 1 consumer, 3 plugins\)/);
    expect(r.status).toBe(0);
  });

  it('prints help', () => {
    const r = run(['start', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/SLUICE_PROXY_LISTEN/);
    const top = run(['--help']);
    expect(top.stdout).toMatch(/validate/);
    expect(run([]).status).toBe(2);
  });
});
