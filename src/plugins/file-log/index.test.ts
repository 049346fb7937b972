/** file-log through the plugin harness: the log phase appends Kong's JSON entry to a temporary file. */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPluginRunner, runPlugin } from '../harness.js';
import { fileLog } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-file-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The file's lines once it has `n` (the plugin writes on a later event-loop turn). */
async function lines(path: string, n: number): Promise<Array<Record<string, any>>> {
  for (;;) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    const got = text.split('\n').filter((l) => l !== '');
    if (got.length >= n) return got.map((l) => JSON.parse(l) as Record<string, any>);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('file-log (harness)', () => {
  it("appends one JSON line per request, in Kong's format, with credentials redacted", async () => {
    const path = join(dir, 'a.log');
    const runner = createPluginRunner(fileLog, { path }, { consumers: [{ id: 'c-1', username: 'alice' }] });
    await runner.run(
      { method: 'POST', path: '/orders?x=1&x=2', clientIp: '192.0.2.7', consumer: 'c-1', credentialId: 'k-1', headers: { host: 'api.test', authorization: 'Bearer t', cookie: 'a=b', 'x-plain': 'p' } },
      { status: 201, headers: { 'content-type': 'application/json', 'set-cookie': 's=1' }, body: '{"id":1}' },
    );
    await runner.run({ path: '/second' }, { status: 404 });
    const [first, second] = await lines(path, 2);
    expect(first).toMatchObject({
      request: { method: 'POST', uri: '/orders?x=1&x=2', url: 'http://api.test/orders?x=1&x=2', querystring: { x: ['1', '2'] } },
      response: { status: 201, size: 8 },
      upstream_uri: '/orders?x=1&x=2',
      upstream_status: 201,
      client_ip: '192.0.2.7',
      consumer: { id: 'c-1', username: 'alice' },
      authenticated_entity: { id: 'k-1' },
      route: { id: 'route-1' },
      source: 'upstream',
    });
    expect(first!.request.headers).toMatchObject({ authorization: 'REDACTED', cookie: 'REDACTED', 'x-plain': 'p' });
    expect(first!.response.headers).toMatchObject({ 'content-type': 'application/json', 'set-cookie': 'REDACTED' });
    expect(typeof first!.started_at).toBe('number');
    expect(second).toMatchObject({ request: { uri: '/second' }, response: { status: 404 } });
    expect(second!.request.id).not.toBe(first!.request.id);
  });

  it('reopen: a file removed between requests is created again', async () => {
    const path = join(dir, 'rotated.log');
    const runner = createPluginRunner(fileLog, { path, reopen: true });
    await runner.run({ path: '/one' });
    expect((await lines(path, 1))[0]!.request.uri).toBe('/one');
    rmSync(path);
    await runner.run({ path: '/two' });
    const after = await lines(path, 1);
    expect(after.map((e) => e.request.uri)).toEqual(['/two']);
  });

  it('requires a path and refuses Lua custom fields', async () => {
    await expect(runPlugin(fileLog, {})).rejects.toThrow(/invalid config for file-log: .*path/);
    await expect(runPlugin(fileLog, { path: join(dir, 'x.log'), custom_fields_by_lua: { a: 'return 1' } })).rejects.toThrow(
      /invalid config for file-log: custom_fields_by_lua custom_fields_by_lua is not supported/,
    );
  });
});
