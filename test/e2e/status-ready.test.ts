import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

// GET /status/ready (SPEC §7): what a Kubernetes readiness probe asks.
let up: Upstream;
let gw: GatewayProcess;
const TOKEN = 'ready-probe-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
const yaml = (path: string) => `
_format_version: "3.0"
services:
  - name: echo
    url: URL
    routes:
      - name: echo
        paths: [${path}]
`;

beforeAll(async () => {
  up = await startUpstream();
  gw = await startGateway(yaml('/echo').replace('URL', up.url), { workers: 2, env: { SLUICE_ADMIN_TOKEN: TOKEN } });
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

async function ready(): Promise<{ status: number; body: any }> {
  const r = await fetch(`${gw.admin}/status/ready`, { headers: auth });
  return { status: r.status, body: await r.json() };
}

describe('GET /status/ready', () => {
  it('answers 200 when every worker serves the loaded configuration', async () => {
    const { status, body } = await ready();
    expect(status).toBe(200);
    const s = (await (await fetch(`${gw.admin}/status`, { headers: auth })).json()) as any;
    expect(body.ready).toBe(true);
    expect(body.config_hash).toBe(s.config.hash);
    expect(body.workers).toHaveLength(2);
    expect(body.workers.every((w: any) => w.serving && w.config_hash === s.config.hash)).toBe(true);
  });

  it('needs the admin token like every admin call', async () => {
    expect((await fetch(`${gw.admin}/status/ready`)).status).toBe(401);
  });

  it('stays 200 after a failed reload (the last good configuration still serves)', async () => {
    const before = (await ready()).body.config_hash;
    writeFileSync(gw.configPath, 'services: [ this is not yaml');
    const r = await fetch(`${gw.admin}/reload`, { method: 'POST', headers: auth });
    expect(r.status).toBe(400);
    const after = await ready();
    expect(after.status).toBe(200);
    expect(after.body.config_hash).toBe(before);
  });

  it('follows a good reload to the new hash in every worker', async () => {
    writeFileSync(gw.configPath, yaml('/echo2').replace('URL', up.url));
    const r = (await (await fetch(`${gw.admin}/reload`, { method: 'POST', headers: auth })).json()) as any;
    expect(r.ok).toBe(true);
    let last: { status: number; body: any } = { status: 0, body: null };
    for (let i = 0; i < 100; i++) {
      last = await ready();
      if (last.status === 200 && last.body.config_hash === r.hash) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(last.status).toBe(200);
    expect(last.body.config_hash).toBe(r.hash);
  });
});
