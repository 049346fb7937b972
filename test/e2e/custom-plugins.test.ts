/**
 * Custom plugins through the real gateway (built CLI) and a real upstream: Kong-format
 * (kong-js-pdk) modules run unchanged in-process, a native Sluice plugin, isolation (throw,
 * hang, unsupported PDK function, CR/LF), the response phase, and `sluice validate` errors.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO_ROOT, startGateway, tempDir, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let up: Upstream;
let gw: GatewayProcess;
const dir = tempDir('sluice-plugins-');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const yaml = (): string => `
_format_version: "3.0"
services:
  - name: api
    url: ${up.url}
    routes:
      - name: greet
        paths: [/greet]
        plugins:
          - name: greet
            config: { greeting: hello }
      - name: gate
        paths: [/gate]
        plugins:
          - name: gatekeeper
            config: { header: x-user }
      - name: faulty
        paths: [/faulty]
        plugins:
          - name: faulty
      - name: stamp
        paths: [/stamp]
        plugins:
          - name: stamp
            config: { value: from-native }
      - name: plain
        paths: [/plain]
      - name: folder
        paths: [/folder]
        plugins:
          - name: folder-echo
      - name: body-echo
        paths: [/body-echo]
        plugins:
          - name: body-echo
      - name: body-helper
        paths: [/body-helper]
        plugins:
          - name: body-helper
`;

// Kong-format plugins reading the request body after access: body-echo names get_raw_body in its
// class (so the body is buffered) but has no access phase; body-helper reads it through a
// function outside its class, which Sluice does not read, so its body streams.
const BODY_ECHO = `
class Plugin {
  async response(kong) {
    const upstream = JSON.parse(await kong.service.response.getRawBody());
    await kong.response.exit(200, { request: await kong.request.getRawBody(), upstreamSaw: upstream.body });
  }
  async log(kong) {
    try {
      await kong.request.get_raw_body();
    } catch (e) {
      await kong.log.warn('log phase: ' + e.message);
    }
  }
}
module.exports = { Plugin, Schema: [], Version: '1.0.0', Priority: 10 };
`;
const BODY_HELPER = `
const read = (kong) => kong.request['get_' + 'raw_body']();
class Plugin {
  async access(kong) {
    await kong.service.request.setHeader('x-body-length', String((await read(kong)).length));
  }
}
module.exports = { Plugin, Schema: [], Version: '1.0.0', Priority: 10 };
`;

beforeAll(async () => {
  cpSync(join(REPO_ROOT, 'test', 'fixtures', 'plugins'), dir, { recursive: true });
  writeFileSync(join(dir, 'body-echo.js'), BODY_ECHO);
  writeFileSync(join(dir, 'body-helper.js'), BODY_HELPER);
  up = await startUpstream((req, res, body) => {
    const out = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString('utf8') });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
  gw = await startGateway(yaml(), { args: ['--plugins-dir', dir], env: { SLUICE_PLUGIN_TIMEOUT_MS: '300' } });
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

describe('Kong-format plugins run unchanged', () => {
  it('access sets response and upstream headers (the hello example shape)', async () => {
    const r = await fetch(`${gw.url}/greet/x`);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-greet')).toBe(`hello, 127.0.0.1:${gw.proxyPort}`);
    expect(r.headers.get('x-greet-worker')).toMatch(/^\d+$/);
    const body = (await r.json()) as Json;
    expect(body.headers['x-greet-upstream']).toBe('hello');
  });

  it('kong.response.exit ends the request (the exit example shape)', async () => {
    const denied = await fetch(`${gw.url}/gate`);
    expect(denied.status).toBe(403);
    expect(await denied.text()).toBe('');
    const json = await fetch(`${gw.url}/gate`, { headers: { 'x-user': 'json' } });
    expect(json.status).toBe(418);
    expect(json.headers.get('x-teapot')).toBe('yes');
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toEqual({ message: 'short and stout' });
    const ok = await fetch(`${gw.url}/gate`, { headers: { 'x-user': 'ann' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-welcome')).toBe('welcome ann');
  });

  it('the response phase sees the whole upstream body and may replace it', async () => {
    const r = await fetch(`${gw.url}/faulty/wrap`);
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toMatch(/^wrapped\(\d+\):\{"method":"GET"/);
    expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(text));
  });

  it('the log phase runs, with the PDK logger naming the plugin', async () => {
    await fetch(`${gw.url}/faulty/fine`);
    const line = await gw.waitForLog((l) => l.plugin === 'faulty' && l.phase === 'log');
    expect(line.msg).toBe('faulty saw 200');
  });
});

describe('kong.request.get_raw_body after access', () => {
  it('the response phase reads the request body the upstream got; the log phase rejects as Kong does, naming the function', async () => {
    const r = await fetch(`${gw.url}/body-echo`, { method: 'POST', body: 'ping-body' });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ request: 'ping-body', upstreamSaw: 'ping-body' });
    const line = await gw.waitForLog((l) => l.plugin === 'body-echo' && l.phase === 'log');
    expect(line.msg).toBe('log phase: kong.request.get_raw_body: function cannot be called in log phase (only in: rewrite, access, response)');
  });

  it('a body that streamed (the class never names a body function) is a 500 naming get_raw_body; no body reads as ""', async () => {
    const r = await fetch(`${gw.url}/body-helper`, { method: 'POST', body: 'abc' });
    expect(r.status).toBe(500);
    await gw.waitForLog((l) => l.plugin === 'body-helper' && typeof l.msg === 'string' && l.msg.includes('kong.request.get_raw_body: the request body was not buffered'));
    const empty = await fetch(`${gw.url}/body-helper`);
    expect(empty.status).toBe(200);
    expect(((await empty.json()) as Json).headers['x-body-length']).toBe('0');
  });
});

describe('isolation', () => {
  it('a throwing phase is a JSON 500 naming nothing to the client, and the log names plugin and phase', async () => {
    const r = await fetch(`${gw.url}/faulty/throw`);
    expect(r.status).toBe(500);
    expect(((await r.json()) as Json).message).toBeTypeOf('string');
    const line = await gw.waitForLog((l) => l.plugin === 'faulty' && typeof l.msg === 'string' && l.msg.includes('boom from faulty'));
    expect(line.phase).toBe('access');
    // the worker carries on
    expect((await fetch(`${gw.url}/plain`)).status).toBe(200);
  });

  it('a phase that never settles ends with a JSON 504 after the timeout', async () => {
    const r = await fetch(`${gw.url}/faulty/hang`);
    expect(r.status).toBe(504);
    await gw.waitForLog((l) => l.plugin === 'faulty' && typeof l.msg === 'string' && l.msg.includes('did not finish'));
  });

  it('a PDK function Sluice lacks fails naming it', async () => {
    const r = await fetch(`${gw.url}/faulty/missing`);
    expect(r.status).toBe(500);
    await gw.waitForLog((l) => l.pdk_function === 'kong.request.get_start_time');
  });

  it('a header value with CR/LF is refused', async () => {
    const r = await fetch(`${gw.url}/faulty/crlf`);
    expect(r.status).toBe(500);
    await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('CR, LF or NUL'));
  });
});

describe('plugin files', () => {
  it('a folder with an ES module index.js is one plugin named after the folder; CommonJS .js under "type": "module" loads too', async () => {
    const r = await fetch(`${gw.url}/folder`, { method: 'POST', body: 'x' });
    expect(r.headers.get('x-folder')).toBe('folder saw POST');
    expect(r.headers.get('x-folder-consumer')).toBe('none');
    expect(((await r.json()) as Json).headers['x-route-name']).toBe('folder');
  });
});

describe('native plugins', () => {
  it('a native plugin from the plugins directory runs like a bundled one', async () => {
    const r = await fetch(`${gw.url}/stamp`);
    expect(((await r.json()) as Json).headers['x-stamp']).toBe('from-native');
  });
});

describe('sluice validate', () => {
  it('reports a custom plugin config error at FILE:LINE:COL', () => {
    const file = join(tempDir(), 'gateway.yaml');
    writeFileSync(
      file,
      ['_format_version: "3.0"', 'plugins:', '  - name: greet', '    config:', '      times: 9', '  - name: gatekeeper', '    config:', '      mode: loose', ''].join('\n'),
    );
    const r = spawnSync(process.execPath, [BIN, 'validate', '--plugins-dir', dir, file], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${file}:5:14 plugins[greet].config.times must be an integer between 1 and 5`);
    expect(r.stdout).toContain(`${file}:8:7 plugins[gatekeeper].config is missing required key "header"`);
    expect(r.stdout).toContain(`${file}:8:13 plugins[gatekeeper].config.mode must be one of strict, lax`);
  });

  it('a plugin named like a bundled one is an error', () => {
    const d = tempDir();
    writeFileSync(join(d, 'cors.js'), "module.exports = { Plugin: class { async access() {} }, Schema: [] };");
    const file = join(tempDir(), 'gateway.yaml');
    writeFileSync(file, '_format_version: "3.0"\n');
    const r = spawnSync(process.execPath, [BIN, 'validate', '--plugins-dir', d, file], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/plugin cors .* has the name of a bundled plugin/);
  });

  it('certificate/preread phases are refused with a clear message', () => {
    const d = tempDir();
    writeFileSync(join(d, 'tlsy.js'), "module.exports = { Plugin: class { async certificate() {} }, Schema: [] };");
    const file = join(tempDir(), 'gateway.yaml');
    writeFileSync(file, '_format_version: "3.0"\n');
    const r = spawnSync(process.execPath, [BIN, 'validate', '--plugins-dir', d, file], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/has a certificate phase, which Sluice does not run/);
  });
});
