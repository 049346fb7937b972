/** http-log through the plugin harness, against a real HTTP receiver on 127.0.0.1. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPluginRunner, runPlugin } from '../harness.js';
import { httpLog } from './index.js';

interface Received {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | null = null;
afterEach(async () => {
  if (server === null) return;
  server.closeAllConnections();
  await new Promise((r) => server!.close(r));
  server = null;
});

/** A receiver answering each request with the next of `statuses` (then 200); `received` resolves after `n` requests. */
async function receiver(n: number, statuses: number[] = []): Promise<{ url: string; received: Promise<Received[]> }> {
  const got: Received[] = [];
  let done!: (r: Received[]) => void;
  const received = new Promise<Received[]>((r) => (done = r));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ method: req.method!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
      if (got.length === n) done(got);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/logs`, received };
}

describe('http-log (harness)', () => {
  it("POSTs Kong's JSON entry to the endpoint, with configured headers and userinfo as Basic auth", async () => {
    const { url, received } = await receiver(1);
    const endpoint = url.replace('http://', 'http://logger:s3cret@');
    await runPlugin(httpLog, { http_endpoint: endpoint, headers: { 'X-Token': 'abc' } }, { path: '/hello?q=1', headers: { host: 'gw.test', 'x-api-key': 'k' } }, { status: 200 });
    const [r] = await received;
    expect(r!.method).toBe('POST');
    expect(r!.headers['content-type']).toBe('application/json');
    expect(r!.headers['x-token']).toBe('abc');
    expect(r!.headers.authorization).toBe('Basic ' + Buffer.from('logger:s3cret').toString('base64'));
    const entry = JSON.parse(r!.body);
    expect(entry).toMatchObject({ request: { method: 'GET', uri: '/hello?q=1', headers: { 'x-api-key': 'REDACTED' } }, response: { status: 200 }, source: 'upstream' });
  });

  it('a gateway-made answer is logged with source kong and no upstream status', async () => {
    const { url, received } = await receiver(1);
    const def = { ...httpLog, create: (i: Parameters<typeof httpLog.create>[0], c: Parameters<typeof httpLog.create>[1]) => ({ ...httpLog.create(i, c), access: () => ({ status: 403, message: 'no' }) }) };
    await runPlugin(def, { http_endpoint: url, method: 'PUT' }, { path: '/x' });
    const [r] = await received;
    expect(r!.method).toBe('PUT');
    const entry = JSON.parse(r!.body);
    expect(entry.source).toBe('kong');
    expect(entry.response.status).toBe(403);
    expect(entry.upstream_status).toBeUndefined();
    expect(entry.upstream_uri).toBeNull();
  });

  it('retries a batch the endpoint refused', async () => {
    const { url, received } = await receiver(2, [500]);
    const runner = createPluginRunner(httpLog, { http_endpoint: url, queue: { initial_retry_delay: 0.001 } });
    await runner.run({ path: '/retry-me' });
    const [a, b] = await received;
    expect(JSON.parse(a!.body).request.uri).toBe('/retry-me');
    expect(b!.body).toBe(a!.body);
  });

  it('batches several entries into one JSON array with max_batch_size', async () => {
    const { url, received } = await receiver(1);
    const runner = createPluginRunner(httpLog, { http_endpoint: url, queue: { max_batch_size: 3, max_coalescing_delay: 60 } });
    for (const p of ['/1', '/2', '/3']) await runner.run({ path: p });
    const [r] = await received;
    expect((JSON.parse(r!.body) as Array<{ request: { uri: string } }>).map((e) => e.request.uri)).toEqual(['/1', '/2', '/3']);
  });

  it('refuses an endpoint that is not http(s), a method Kong does not send, and Lua fields', async () => {
    await expect(runPlugin(httpLog, { http_endpoint: 'ftp://127.0.0.1/x' })).rejects.toThrow(/invalid config for http-log: http_endpoint http_endpoint must be an http/);
    await expect(runPlugin(httpLog, { http_endpoint: 'not a url' })).rejects.toThrow(/http_endpoint is not a valid URL/);
    await expect(runPlugin(httpLog, { http_endpoint: 'http://127.0.0.1/', method: 'GET' })).rejects.toThrow(/invalid config for http-log: \/method/);
    await expect(runPlugin(httpLog, { http_endpoint: 'http://127.0.0.1/', custom_fields_by_lua: { f: 'x' } })).rejects.toThrow(/custom_fields_by_lua is not supported/);
  });
});
