/**
 * A plugin choosing where one request goes, through the real gateway and real upstreams: Kong's
 * kong.service.set_upstream (an Upstream entity's balancer) and kong.service.set_target (a
 * host:port directly) from a Kong-format plugin, and the same through the native API
 * (PluginContext.setUpstream / setTarget). Each upstream answers with its own name, so the test
 * sees which one received the request.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startGateway, tempDir, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let main: Upstream;
let other: Upstream;
let direct: Upstream;
let gw: GatewayProcess;
const dir = tempDir('sluice-routing-plugins-');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const named = (name: string) => (req: { url?: string; headers: Record<string, unknown> }, res: { writeHead: (s: number, h: Record<string, string | number>) => void; end: (b: string) => void }) => {
  const out = JSON.stringify({ upstream: name, url: req.url, host: req.headers.host });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
  res.end(out);
};

// Kong format (kong-js-pdk), CommonJS: routes by a request header.
const KONG_ROUTER = `'use strict';
class Router {
  constructor(config) { this.config = config; }
  async access(kong) {
    const how = await kong.request.getHeader('x-route');
    if (how === 'upstream') await kong.service.set_upstream('other');
    else if (how === 'missing') await kong.service.set_upstream('nope');
    else if (how === 'target') await kong.service.setTarget('127.0.0.1', Number(await kong.request.getHeader('x-port')));
  }
}
module.exports = { Plugin: Router, Schema: [], Version: '0.1.0', Priority: 1000 };
`;

// Native Sluice plugin: the same through the plugin API.
const NATIVE_PIN = `export default {
  apiVersion: 1,
  name: 'pin',
  priority: 1000,
  schema: { type: 'object', additionalProperties: false, properties: {} },
  create() {
    return {
      access(req) {
        const port = req.header('x-pin');
        if (port !== undefined) req.setTarget('127.0.0.1', Number(port));
        else if (req.header('x-upstream') !== undefined) req.setUpstream(req.header('x-upstream'));
      },
    };
  },
};
`;

beforeAll(async () => {
  main = await startUpstream(named('main'));
  other = await startUpstream(named('other'));
  direct = await startUpstream(named('direct'));
  writeFileSync(join(dir, 'router.cjs'), KONG_ROUTER);
  writeFileSync(join(dir, 'pin.mjs'), NATIVE_PIN);
  const yaml = `
_format_version: "3.0"
upstreams:
  - name: other
    targets:
      - target: 127.0.0.1:${other.port}
services:
  - name: api
    url: ${main.url}
    retries: 2
    routes:
      - name: kong
        paths: [/kong]
        plugins:
          - name: router
      - name: native
        paths: [/native]
        plugins:
          - name: pin
`;
  gw = await startGateway(yaml, { args: ['--plugins-dir', dir] });
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([main?.close(), other?.close(), direct?.close()]);
});

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const r = await fetch(`${gw.url}${path}`, { headers });
  return { status: r.status, body: await r.json() };
}

describe('kong.service.set_upstream / set_target (Kong-format plugin)', () => {
  it('without a call the service host gets the request', async () => {
    const r = await get('/kong/a');
    expect(r.status).toBe(200);
    expect(r.body.upstream).toBe('main');
  });

  it("set_upstream('other') sends it to that Upstream entity's target", async () => {
    const r = await get('/kong/b', { 'x-route': 'upstream' });
    expect(r.status).toBe(200);
    expect(r.body.upstream).toBe('other');
    expect(r.body.url).toBe('/b');
  });

  it('set_target(host, port) sends it to host:port directly, with Host the target host', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await get('/kong/c', { 'x-route': 'target', 'x-port': String(direct.port) });
      expect(r.status).toBe(200);
      expect(r.body.upstream).toBe('direct');
      expect(r.body.host).toBe('127.0.0.1');
    }
    // the next request without the call goes back to the service
    expect((await get('/kong/c')).body.upstream).toBe('main');
  });

  it('an unknown upstream name is a JSON 500, and the log names the PDK call', async () => {
    const r = await get('/kong/d', { 'x-route': 'missing' });
    expect(r.status).toBe(500);
    expect(r.body.message).toBeTypeOf('string');
    const line = await gw.waitForLog((l) => l.plugin === 'router' && typeof l.err === 'string' && l.err.includes("could not find an Upstream named 'nope'"));
    expect(line.err).toContain('kong.service.set_upstream');
    expect(line.phase).toBe('access');
  });

  it('a direct target that refuses connections is a 502 (retried on the same target, not the service host)', async () => {
    const dead = await freePort();
    const before = main.seen.length;
    const r = await fetch(`${gw.url}/kong/e`, { headers: { 'x-route': 'target', 'x-port': String(dead) } });
    expect(r.status).toBe(502);
    expect(main.seen.length).toBe(before);
  });
});

describe('PluginContext.setTarget / setUpstream (native plugin)', () => {
  it('setTarget and setUpstream route the request; an unknown name is a 500', async () => {
    expect((await get('/native/x', { 'x-pin': String(direct.port) })).body.upstream).toBe('direct');
    expect((await get('/native/y', { 'x-upstream': 'other' })).body.upstream).toBe('other');
    expect((await get('/native/z')).body.upstream).toBe('main');
    expect((await fetch(`${gw.url}/native/w`, { headers: { 'x-upstream': 'nope' } })).status).toBe(500);
  });
});
