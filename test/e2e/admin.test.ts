import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, tempDir, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let up: Upstream;
let gw: GatewayProcess;
const TOKEN = 'admin-token-for-tests-0123456789';

beforeAll(async () => {
  up = await startUpstream();
  const dir = tempDir();
  writeFileSync(join(dir, 'upstream-url'), `${up.url}\n`);
  gw = await startGateway(
    `
_format_version: "3.0"
services:
  - name: echo
    url: "{vault://file/upstream-url}"
    routes:
      - name: echo
        paths: [/echo]
  - name: lb
    host: backends
    routes:
      - name: lb
        paths: [/lb]
upstreams:
  - name: backends
    targets:
      - target: 127.0.0.1:${up.port}
        weight: 10
consumers:
  - username: alice
    custom_id: a-1
    keyauth_credentials:
      - key: alice-very-secret-key
`,
    { env: { SLUICE_ADMIN_TOKEN: TOKEN }, configPath: join(dir, 'gateway.yaml') },
  );
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

const auth = { authorization: `Bearer ${TOKEN}` };
async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${gw.admin}${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
}

describe('admin API', () => {
  it('requires the bearer token when SLUICE_ADMIN_TOKEN is set', async () => {
    const none = await fetch(`${gw.admin}/status`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await fetch(`${gw.admin}/status`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await admin('/status')).status).toBe(200);
  });

  it('GET /status has the fields of SPEC §7', async () => {
    await fetch(`${gw.url}/echo`);
    const s = (await (await admin('/status')).json()) as Record<string, any>;
    expect(Object.keys(s).sort()).toEqual(['config', 'connections', 'listeners', 'reload', 'runtime', 'uptime_s', 'version', 'workers']);
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(s.runtime).toEqual({ node: expect.stringMatching(/^\d+\.\d+\.\d+$/), uws: expect.stringMatching(/^20\.(57|30)\.0$/), glibc: expect.stringMatching(/^2\.\d+$/) });
    expect(s.uptime_s).toBeGreaterThanOrEqual(0);
    expect(s.workers).toHaveLength(1);
    expect(s.workers[0].config_hash).toBe(s.config.hash);
    expect(Object.keys(s.config).sort()).toEqual(['consumers', 'hash', 'loaded_at', 'plugins', 'routes', 'services', 'source']);
    expect(s.config).toMatchObject({ services: 2, routes: 2, consumers: 1, plugins: 0 });
    expect(s.config.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(s.reload).toEqual({ ok: true, at: null, error: null });
  });

  it('serves /config, /services, /routes, /consumers, /plugins, /upstreams without secrets', async () => {
    for (const path of ['/config', '/services', '/routes', '/consumers', '/plugins', '/upstreams', '/upstreams/backends/health']) {
      const r = await admin(path);
      expect(r.status, path).toBe(200);
      const text = await r.text();
      expect(text, path).not.toContain('alice-very-secret-key');
    }
    const config = (await (await admin('/config')).json()) as Record<string, any>;
    expect(config.keyauth_credentials[0].key).toBe('<redacted>');
    // A value read through {vault://...} is a secret too.
    expect(config.services.find((s: any) => s.name === 'echo').host).not.toBe(undefined);
    const consumers = (await (await admin('/consumers')).json()) as { data: Array<Record<string, unknown>> };
    expect(consumers.data[0]).toMatchObject({ username: 'alice', custom_id: 'a-1' });
    expect(JSON.stringify(consumers)).not.toContain('keyauth');
    const health = (await (await admin('/upstreams/backends/health')).json()) as { data: Array<Record<string, unknown>> };
    expect(health.data).toEqual([{ target: `127.0.0.1:${up.port}`, weight: 10, health: 'HEALTHY', active: 0 }]);
    expect((await admin('/upstreams/nope/health')).status).toBe(404);
    expect((await admin('/nothing')).status).toBe(404);
  });

  it('GET /metrics is Prometheus text with request counts by route and status', async () => {
    await fetch(`${gw.url}/echo/metrics-probe`);
    await fetch(`${gw.url}/no-such-route`);
    const r = await admin('/metrics');
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await r.text();
    expect(text).toMatch(/sluice_http_requests_total\{route="echo",service="echo",code="200"\} \d+/);
    expect(text).toMatch(/sluice_http_requests_total\{route="",service="",code="404"\} \d+/);
    expect(text).toContain('sluice_request_latency_ms_bucket');
    expect(text).toContain('sluice_requests_in_flight');
    expect(text).toContain('sluice_config_reloads_total');
  });

  it('POST /reload re-reads the file', async () => {
    const r = await admin('/reload', { method: 'POST' });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ ok: true, changed: false });
  });
});
