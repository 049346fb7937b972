/**
 * Custom plugins and hot reload, through the real gateway with two workers: a changed plugin file
 * is a new module instance in every worker; a plugin that fails to load is a reload error that
 * keeps the last good snapshot.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, tempDir, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let up: Upstream;
let gw: GatewayProcess;
const dir = tempDir('sluice-plugins-reload-');

const plugin = (tag: string): string => `'use strict';
class Tagger {
  constructor(config) { this.config = config; }
  async access(kong) {
    await kong.service.request.set_header('x-tag', '${tag}:' + this.config.suffix);
  }
}
module.exports = { Plugin: Tagger, Schema: [{ suffix: { type: 'string', default: 's' } }], Version: '1.0.0', Priority: 1 };
`;

beforeAll(async () => {
  writeFileSync(join(dir, 'tagger.js'), plugin('v1'));
  up = await startUpstream((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(String(req.headers['x-tag']));
  });
  gw = await startGateway(
    `_format_version: "3.0"\nservices:\n  - name: api\n    url: ${up.url}\n    routes: [{name: r, paths: [/], plugins: [{name: tagger}]}]\n`,
    { workers: 2, env: { SLUICE_PLUGINS_DIR: dir } },
  );
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

async function tags(n: number): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < n; i++) out.add(await (await fetch(`${gw.url}/x`)).text());
  return out;
}

describe('plugin files reload like gateway.yaml', () => {
  it('serves the plugin in every worker', async () => {
    expect(await tags(8)).toEqual(new Set(['v1:s']));
  });

  it('a changed plugin file is a new module instance in every worker', async () => {
    const before = gw.logs().filter((l) => l.msg === 'reload: new configuration serving').length;
    writeFileSync(join(dir, 'tagger.js'), plugin('v2'));
    await gw.waitForLog(() => gw.logs().filter((l) => l.msg === 'reload: new configuration serving').length > before, 15000);
    // the workers swap right after the main thread logs
    for (let i = 0; i < 50 && !(await tags(4)).has('v2:s'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await tags(8)).toEqual(new Set(['v2:s']));
  });

  it('a plugin that fails to load keeps the last good snapshot, and /status shows the error', async () => {
    writeFileSync(join(dir, 'tagger.js'), "module.exports = { Plugin: class { async access( { }, Schema: [] };\n");
    await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('reload failed') && l.msg.includes('tagger'), 15000);
    expect(await tags(4)).toEqual(new Set(['v2:s']));
    const status = (await (await fetch(`${gw.admin}/status`)).json()) as { reload: { ok: boolean; error: { message: string } } };
    expect(status.reload.ok).toBe(false);
    expect(status.reload.error.message).toMatch(/plugin tagger .* failed to load/);
  });

  it('a fixed plugin file serves again', async () => {
    writeFileSync(join(dir, 'tagger.js'), plugin('v3'));
    for (let i = 0; i < 100 && !(await tags(4)).has('v3:s'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await tags(8)).toEqual(new Set(['v3:s']));
  });
});
