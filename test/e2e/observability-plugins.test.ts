import { execFileSync, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLUICE, SLUICE_ARGS, freePort, startGateway, tempDir, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Polls `pred` until it holds (bounded: fails after 10 s, never a timing threshold on the gateway). */
async function until<T>(what: string, fn: () => T | undefined | null | false): Promise<T> {
  const end = Date.now() + 10000;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An HTTP collector on 127.0.0.1 recording every request (method, headers, parsed JSON body). */
interface Collector {
  url: string;
  got: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: Json }>;
  /** Answers for the next requests (default 200). */
  statuses: number[];
  close(): Promise<void>;
}
async function collector(): Promise<Collector> {
  const c: Collector = { url: '', got: [], statuses: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const status = c.statuses.shift() ?? 200;
      if (status === 200) c.got.push({ method: req.method!, url: req.url!, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  c.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  c.close = () => new Promise((r) => server.close(() => r()));
  return c;
}

function selfSigned(dir: string): { cert: string; key: string } {
  const key = join(dir, 'log.key');
  const cert = join(dir, 'log.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

let up: Upstream;
let gw: GatewayProcess;
let httpLogs: Collector;
let otel: Collector;
const dir = tempDir('sluice-obs-');
const fileLog = join(dir, 'access.log');
const rotated = join(dir, 'rotating.log');
const tcpLines: string[] = [];
const tlsLines: string[] = [];
const udpMessages: string[] = [];
const syslogMessages: string[] = [];
const servers: Array<{ close(cb?: () => void): unknown }> = [];

beforeAll(async () => {
  up = await startUpstream((req, res, body) => {
    const status = req.url!.includes('status=500') ? 500 : 200;
    const out = JSON.stringify({ url: req.url, headers: req.headers, body: body.toString() });
    res.writeHead(status, { 'content-type': 'application/json', 'set-cookie': 'session=upstream-secret', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
  httpLogs = await collector();
  otel = await collector();

  const tcp = net.createServer((s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        tcpLines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const { cert, key } = selfSigned(dir);
  const tlsServer = tls.createServer({ cert, key }, (s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        tlsLines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  });
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
  const udp = dgram.createSocket('udp4');
  udp.on('message', (m) => udpMessages.push(m.toString()));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const sys = dgram.createSocket('udp4');
  sys.on('message', (m) => syslogMessages.push(m.toString()));
  await new Promise<void>((r) => sys.bind(0, '127.0.0.1', r));
  servers.push(tcp, tlsServer, udp, sys);

  gw = await startGateway(`
_format_version: "3.0"
upstreams:
  - name: backend
    targets:
      - target: 127.0.0.1:${up.port}
services:
  - name: api
    url: ${up.url}
    routes:
      - name: prom
        paths: [/prom]
        plugins:
          - name: key-auth
          - name: prometheus
            config: { per_consumer: true, status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true, upstream_health_metrics: true }
      - name: file
        paths: [/file]
        plugins:
          - name: key-auth
            config: { key_names: [x-secret-key], anonymous: guest }
          - name: file-log
            config: { path: ${fileLog} }
      - name: file-reopen
        paths: [/reopen]
        plugins:
          - name: file-log
            config: { path: ${rotated}, reopen: true }
      - name: httplog-batch
        paths: [/hl-batch]
        plugins:
          - name: http-log
            config:
              http_endpoint: ${httpLogs.url}/batch
              headers: { Authorization: "Bearer log-token" }
              queue: { max_batch_size: 3, max_coalescing_delay: 30 }
      - name: httplog-retry
        paths: [/hl-retry]
        plugins:
          - name: http-log
            config:
              http_endpoint: ${httpLogs.url}/retry
              method: PUT
              queue: { max_batch_size: 1, initial_retry_delay: 0.01 }
      - name: httplog-full
        paths: [/hl-full]
        plugins:
          - name: http-log
            config:
              http_endpoint: http://127.0.0.1:${await freePort()}/nobody-listens
              queue: { max_batch_size: 1, max_entries: 2, initial_retry_delay: 5, max_retry_time: 3600 }
      - name: tcp
        paths: [/tcp]
        plugins:
          - name: tcp-log
            config: { host: 127.0.0.1, port: ${(tcp.address() as AddressInfo).port}, keepalive: 60000 }
      - name: tcp-tls
        paths: [/tcp-tls]
        plugins:
          - name: tcp-log
            config: { host: 127.0.0.1, port: ${(tlsServer.address() as AddressInfo).port}, tls: true, ssl_verify: false }
      - name: udp
        paths: [/udp]
        plugins:
          - name: udp-log
            config: { host: 127.0.0.1, port: ${udp.address().port} }
      - name: syslog
        paths: [/syslog]
        plugins:
          - name: syslog
            config: { host: 127.0.0.1, port: ${sys.address().port}, facility: local0, log_level: err, successful_severity: info, server_errors_severity: crit }
      - name: otel
        paths: [/otel]
        plugins:
          - name: opentelemetry
            config:
              traces_endpoint: ${otel.url}/v1/traces
              headers: { x-otel-token: otel-secret }
              resource_attributes: { service.name: edge, deployment.environment: test }
              http_response_header_for_traceid: x-trace-id
              queue: { max_coalescing_delay: 0 }
      - name: otel-b3
        paths: [/otel-b3]
        plugins:
          - name: opentelemetry
            config: { endpoint: "${otel.url}/v1/traces", header_type: b3, batch_flush_delay: 0 }
  - name: balanced
    host: backend
    routes:
      - name: balanced
        paths: [/balanced]
consumers:
  - username: alice
    keyauth_credentials:
      - key: alice-key
  - username: guest
plugins:
  - name: prometheus
    route: balanced
    config: { upstream_health_metrics: true, status_code_metrics: true }
`);
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
  await httpLogs?.close();
  await otel?.close();
  for (const s of servers) s.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { headers });

describe('prometheus', () => {
  it('exports Kong-named series with per-consumer labels through the admin /metrics', async () => {
    expect((await get('/prom/a', { apikey: 'alice-key' })).status).toBe(200);
    expect((await get('/prom/b')).status).toBe(401);
    expect((await get('/prom/c', { apikey: 'wrong' })).status).toBe(401);
    expect((await get('/balanced/x')).status).toBe(200);
    const text = await (await fetch(`${gw.admin}/metrics`)).text();
    expect(text).toContain('kong_http_requests_total{service="api",route="prom",code="200",source="service",workspace="default",consumer="alice"} 1');
    expect(text).toContain('kong_http_requests_total{service="api",route="prom",code="401",source="kong",workspace="default",consumer=""} 2');
    expect(text).toContain('kong_http_requests_total{service="balanced",route="balanced",code="200",source="service",workspace="default",consumer=""} 1');
    expect(text).toMatch(/kong_request_latency_ms_count\{service="api",route="prom",workspace="default"\} 3/);
    expect(text).toMatch(/kong_upstream_latency_ms_count\{service="api",route="prom",workspace="default"\} 1/);
    expect(text).toMatch(/kong_kong_latency_ms_bucket\{le="60000",service="api",route="prom",workspace="default"\} 3/);
    expect(text).toMatch(/kong_bandwidth_bytes\{service="api",route="prom",direction="egress",workspace="default",consumer="alice"\} [1-9]\d*/);
    expect(text).toMatch(/kong_bandwidth_bytes\{service="api",route="prom",direction="ingress",workspace="default",consumer="alice"\} [1-9]\d*/);
    expect(text).toContain(`kong_upstream_target_health{upstream="backend",target="127.0.0.1:${up.port}",address="127.0.0.1:${up.port}",state="healthy",subsystem="http",workspace="default"} 1`);
    expect(text).toContain(`kong_upstream_target_health{upstream="backend",target="127.0.0.1:${up.port}",address="127.0.0.1:${up.port}",state="unhealthy",subsystem="http",workspace="default"} 0`);
    // Sluice's own series are still there, for every route.
    expect(text).toContain('sluice_http_requests_total{route="prom",service="api",code="200"} 1');
  });
});

describe('file-log', () => {
  it("appends Kong's JSON entry per request, with credentials redacted", async () => {
    const r = await get('/file/x?a=1&b=two', { authorization: 'Bearer very-secret', 'x-secret-key': 'alice-key', cookie: 'sid=abc', 'x-custom': 'kept' });
    expect(r.status).toBe(200);
    const lines = await until('file-log line', () => existsSync(fileLog) && readFileSync(fileLog, 'utf8').endsWith('\n') && readFileSync(fileLog, 'utf8').trim().split('\n'));
    expect(lines).toHaveLength(1);
    const raw = readFileSync(fileLog, 'utf8');
    for (const secret of ['very-secret', 'alice-key', 'sid=abc', 'upstream-secret']) expect(raw).not.toContain(secret);
    const e: Json = JSON.parse(lines[0]!);
    expect(e.request).toMatchObject({ method: 'GET', uri: '/file/x?a=1&b=two', querystring: { a: '1', b: 'two' } });
    expect(e.request.url).toBe(`http://127.0.0.1:${gw.proxyPort}/file/x?a=1&b=two`);
    expect(e.request.headers).toMatchObject({ authorization: 'REDACTED', 'x-secret-key': 'REDACTED', cookie: 'REDACTED', 'x-custom': 'kept' });
    expect(e.request.size).toBeGreaterThan(0);
    expect(e.request.id).toBe(r.headers.get('x-request-id') ?? e.request.id);
    expect(e.response.status).toBe(200);
    expect(e.response.size).toBeGreaterThan(0);
    expect(e.response.headers['content-type']).toBe('application/json');
    expect(e.response.headers['set-cookie']).toBe('REDACTED');
    expect(e.upstream_uri).toBe('/x?a=1&b=two');
    expect(e.upstream_status).toBe(200);
    expect(e.latencies.request).toBeGreaterThanOrEqual(0);
    expect(e.latencies.proxy).toBeGreaterThanOrEqual(0);
    expect(e.latencies.kong).toBeGreaterThanOrEqual(0);
    expect(e.route).toMatchObject({ name: 'file', paths: ['/file'] });
    expect(e.service).toMatchObject({ name: 'api', host: '127.0.0.1', port: up.port });
    expect(e.consumer).toMatchObject({ username: 'alice' });
    expect(e.authenticated_entity.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(e.client_ip).toBe('127.0.0.1');
    expect(e.source).toBe('upstream');
    expect(e.tries).toEqual([{ ip: '127.0.0.1', port: up.port }]);
    expect(Math.abs(e.started_at - Date.now())).toBeLessThan(60000);
  });

  it('reopen: a rotated (renamed) file is recreated for the next requests', async () => {
    await get('/reopen/1');
    await until('first line', () => existsSync(rotated) && readFileSync(rotated, 'utf8').includes('/reopen/1'));
    renameSync(rotated, rotated + '.1');
    await get('/reopen/2');
    const now = await until('recreated file', () => existsSync(rotated) && readFileSync(rotated, 'utf8'));
    expect(now).toContain('/reopen/2');
    expect(now).not.toContain('/reopen/1');
    expect(readFileSync(rotated + '.1', 'utf8')).not.toContain('/reopen/2');
  });
});

describe('http-log', () => {
  it('batches entries (max_batch_size 3 → one JSON array) with the configured headers', async () => {
    const before = httpLogs.got.length;
    for (let i = 0; i < 3; i++) expect((await get(`/hl-batch/${i}`)).status).toBe(200);
    // max_coalescing_delay is 30 s: only a full batch can have been sent.
    const got = await until('batch', () => httpLogs.got.slice(before).find((g) => g.url === '/batch'));
    expect(got.method).toBe('POST');
    expect(got.headers.authorization).toBe('Bearer log-token');
    expect(got.headers['content-type']).toBe('application/json');
    expect(Array.isArray(got.body)).toBe(true);
    expect(got.body.map((e: Json) => e.request.uri)).toEqual(['/hl-batch/0', '/hl-batch/1', '/hl-batch/2']);
  });

  it('retries a failed batch with backoff; one entry is sent as an object', async () => {
    httpLogs.statuses.push(500, 503);
    await get('/hl-retry/once');
    const got = await until('retried entry', () => httpLogs.got.find((g) => g.url === '/retry'));
    expect(got.method).toBe('PUT');
    expect(got.body.request.uri).toBe('/hl-retry/once');
    expect(httpLogs.statuses).toEqual([]);
  });

  it('bounded memory: a full queue drops its oldest entries and counts them', async () => {
    // The first entry is being retried (nobody listens); the next three share a 2-entry queue.
    for (let i = 0; i < 4; i++) expect((await get(`/hl-full/${i}`)).status).toBe(200);
    const metrics = await (await fetch(`${gw.admin}/metrics`)).text();
    expect(metrics).toContain('sluice_log_entries_dropped_total{plugin="http-log",reason="queue_full"} 1');
  });

  it('keeps http-log secrets out of /config', async () => {
    const cfg = await (await fetch(`${gw.admin}/config`)).text();
    expect(cfg).not.toContain('log-token');
    expect(cfg).not.toContain('otel-secret');
  });
});

describe('tcp-log, udp-log, syslog', () => {
  it('tcp-log: one JSON line per request over one kept-alive connection', async () => {
    await get('/tcp/1');
    await get('/tcp/2');
    await until('two lines', () => tcpLines.length >= 2);
    expect(tcpLines.map((l) => JSON.parse(l).request.uri)).toEqual(['/tcp/1', '/tcp/2']);
  });

  it('tcp-log over TLS', async () => {
    await get('/tcp-tls/secure');
    await until('tls line', () => tlsLines.length >= 1);
    expect(JSON.parse(tlsLines[0]!).request.uri).toBe('/tcp-tls/secure');
  });

  it('udp-log: one datagram per request', async () => {
    await get('/udp/x');
    await until('datagram', () => udpMessages.length >= 1);
    const e: Json = JSON.parse(udpMessages[0]!);
    expect(e.request.uri).toBe('/udp/x');
    expect(e.response.status).toBe(200);
  });

  it('syslog: RFC 5424 over UDP; severity by status, filtered by log_level', async () => {
    await get('/syslog/ok'); // info: less severe than log_level err → not sent
    await get('/syslog/fail?status=500'); // crit (2), local0 (16): PRI 130
    const m = await until('syslog message', () => syslogMessages.find((s) => s.includes('/syslog/fail')));
    expect(m).toMatch(/^<130>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ sluice \d+ - - \{/);
    const e: Json = JSON.parse(m.slice(m.indexOf('{')));
    expect(e.response.status).toBe(500);
    expect(syslogMessages.some((s) => s.includes('/syslog/ok'))).toBe(false);
  });
});

describe('opentelemetry', () => {
  const spansOf = (traceId: string) =>
    otel.got.flatMap((g) => g.body.resourceSpans.flatMap((rs: Json) => rs.scopeSpans.flatMap((ss: Json) => ss.spans.map((s: Json) => ({ ...s, resource: rs.resource, headers: g.headers }))))).filter((s: Json) => s.traceId === traceId);

  it('continues a W3C trace: the upstream gets a child span, the collector gets the spans as OTLP JSON', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    const r = await get('/otel/x?q=1', { traceparent: `00-${traceId}-${parent}-01`, tracestate: 'vendor=abc' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-trace-id')).toBe(traceId);
    const seen: Json = await r.json();
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(seen.headers.traceparent)!;
    expect(m[1]).toBe(traceId);
    expect(m[2]).not.toBe(parent);
    expect(seen.headers.tracestate).toBe('vendor=abc');
    const spans = await until('2 spans', () => spansOf(traceId).length >= 2 && spansOf(traceId));
    const root = spans.find((s: Json) => s.name === 'kong');
    const balancer = spans.find((s: Json) => s.name === 'kong.balancer');
    expect(root.parentSpanId).toBe(parent);
    expect(root.kind).toBe(2);
    expect(balancer.spanId).toBe(m[2]);
    expect(balancer.parentSpanId).toBe(root.spanId);
    expect(balancer.kind).toBe(3);
    const attrs = (s: Json) => Object.fromEntries(s.attributes.map((a: Json) => [a.key, a.value.stringValue ?? a.value.intValue]));
    expect(attrs(root)).toMatchObject({ 'http.method': 'GET', 'http.status_code': '200', 'http.url': `http://127.0.0.1:${gw.proxyPort}/otel/x?q=1`, 'http.scheme': 'http', 'net.peer.ip': '127.0.0.1', 'kong.route.name': 'otel' });
    expect(attrs(balancer)).toMatchObject({ 'net.peer.ip': '127.0.0.1', 'net.peer.port': String(up.port), 'peer.service': 'api', 'http.status_code': '200' });
    expect(BigInt(root.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(root.startTimeUnixNano));
    expect(Object.fromEntries(root.resource.attributes.map((a: Json) => [a.key, a.value.stringValue]))).toEqual({ 'service.name': 'edge', 'deployment.environment': 'test' });
    expect(root.headers['x-otel-token']).toBe('otel-secret');
    expect(root.headers['content-type']).toBe('application/json');
  });

  it('starts a new trace when none comes in; an unsampled parent is propagated but not exported', async () => {
    const r = await get('/otel/new');
    const seen: Json = await r.json();
    const traceId = r.headers.get('x-trace-id')!;
    expect(seen.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const spans = await until('root span', () => spansOf(traceId).find((s: Json) => s.name === 'kong'));
    expect(spans.parentSpanId).toBeUndefined();

    const unsampled = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const r2 = await get('/otel/quiet', { traceparent: `00-${unsampled}-bbbbbbbbbbbbbbbb-00` });
    const seen2: Json = await r2.json();
    expect(seen2.headers.traceparent).toMatch(new RegExp(`^00-${unsampled}-[0-9a-f]{16}-00$`));
    // A later sampled request's spans arriving proves the unsampled one was skipped, not late.
    const r3 = await get('/otel/after');
    const after = r3.headers.get('x-trace-id')!;
    await until('later spans', () => spansOf(after).length >= 2);
    expect(spansOf(unsampled)).toEqual([]);
  });

  it('header_type b3: reads W3C, injects B3 headers', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const r = await get('/otel-b3/x', { traceparent: `00-${traceId}-b7ad6b7169203331-01` });
    const seen: Json = await r.json();
    expect(seen.headers['x-b3-traceid']).toBe(traceId);
    expect(seen.headers['x-b3-spanid']).toMatch(/^[0-9a-f]{16}$/);
    expect(seen.headers['x-b3-sampled']).toBe('1');
    const spans = await until('b3 spans', () => spansOf(traceId).length >= 2 && spansOf(traceId));
    const root = spans.find((s: Json) => s.name === 'kong');
    expect(seen.headers['x-b3-parentspanid']).toBe(root.spanId);
    expect(root.parentSpanId).toBe('b7ad6b7169203331');
    expect(Object.fromEntries(root.resource.attributes.map((a: Json) => [a.key, a.value.stringValue]))['service.name']).toBe('sluice');
  });

  it('continues a B3 trace under preserve (the default) and answers in B3', async () => {
    const traceId = '463ac35c9f6413ad48485a3953bb6124';
    const r = await get('/otel/b3in', { 'x-b3-traceid': traceId, 'x-b3-spanid': 'a2fb4a1d1a96d312', 'x-b3-sampled': '1' });
    const seen: Json = await r.json();
    expect(seen.headers['x-b3-traceid']).toBe(traceId);
    expect(seen.headers['x-b3-spanid']).not.toBe('a2fb4a1d1a96d312');
    expect(r.headers.get('x-trace-id')).toBe(traceId);
  });
});

describe('validation', () => {
  it('rejects Lua (custom_fields_by_lua) with a clear message, accepts it empty', () => {
    const d = tempDir('sluice-obs-validate-');
    const file = join(d, 'gateway.yaml');
    writeFileSync(file, `_format_version: "3.0"
services:
  - name: s
    url: http://127.0.0.1:1
plugins:
  - name: file-log
    config: { path: /tmp/x.log, custom_fields_by_lua: { foo: "return 1" } }
  - name: http-log
    config: { http_endpoint: "http://127.0.0.1:1/", custom_fields_by_lua: {} }
  - name: opentelemetry
    config: { resource_attributes: { a: b } }
`);
    const r = spawnSync(SLUICE, [...SLUICE_ARGS, 'validate', '-c', file], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain('custom_fields_by_lua is not supported: Sluice runs no Lua code');
    expect(r.stdout + r.stderr).toContain('traces_endpoint (or its older name endpoint) is required');
    expect(r.stdout + r.stderr).not.toContain('http-log');
  });
});
