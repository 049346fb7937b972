/** Kong-format plugins through the harness: the PDK, schema translation and error isolation, in-process. */
import { describe, expect, it } from 'vitest';
import { kongPlugin, runPlugin } from '../harness.js';
import { readsRequestBody } from './adapter.js';
import { kongSchemaToJsonSchema, luaPatternToRegex } from './schema.js';

type Kong = Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>> & { service: { request: Record<string, (...a: unknown[]) => Promise<unknown>>; response: Record<string, (...a: unknown[]) => Promise<unknown>> } };

const mod = (phases: Record<string, (this: { config: Record<string, unknown> }, kong: Kong) => Promise<unknown>>, Schema: unknown[] = []) => {
  class P {
    constructor(public config: Record<string, unknown>) {}
  }
  Object.assign(P.prototype, phases);
  return { Plugin: P as unknown as new (c: Record<string, unknown>) => Record<string, unknown>, Schema, Version: '1', Priority: 1 };
};

describe('Kong PDK in-process', () => {
  it('reads the request under camelCase and snake_case names', async () => {
    let seen: unknown[] = [];
    const def = kongPlugin('reader', mod({
      async access(kong) {
        seen = await Promise.all([kong.request.getMethod(), kong.request.get_path(), kong.request.getQueryArg('a'), kong.request.get_query(), kong.request.getRawQuery(), kong.request.get_header('X-One'), kong.client.getIp(), kong.request.getPathWithQuery()]);
      },
    }));
    await runPlugin(def, {}, { method: 'post', path: '/p?a=1&a=2&flag', headers: { 'x-one': '1' }, clientIp: '10.0.0.1' });
    expect(seen).toEqual(['POST', '/p', '1', { a: ['1', '2'], flag: true }, 'a=1&a=2&flag', '1', '10.0.0.1', '/p?a=1&a=2&flag']);
  });

  it("forwarded getters are the connection's values; log levels and namespaces exist under both spellings; an unknown namespace rejects naming it", async () => {
    let seen: unknown[] = [];
    const def = kongPlugin('aliases', mod({
      async access(kong) {
        await kong.log.notice('n');
        await kong.log['err']!('e');
        const k = kong as unknown as { nope: { getThing(): Promise<unknown> } };
        const nope = await k.nope.getThing().then(() => 'resolved', (e: Error) => e.message);
        seen = [await kong.request.get_forwarded_host(), await kong.request.getForwardedPort(), await kong.request.get_forwarded_scheme(), await kong.client.get_forwarded_ip(), kong.service.request === kong.service.request, nope];
      },
    }));
    await runPlugin(def, {}, { headers: { host: 'example.test:8000' }, clientIp: '10.0.0.2' });
    expect(seen).toEqual(['example.test', 8000, 'http', '10.0.0.2', true, 'kong.nope.get_thing is not supported by Sluice\'s PDK']);
  });

  it('changes the upstream request', async () => {
    const def = kongPlugin('writer', mod({
      async access(kong) {
        await kong.service.request.setHeader('x-a', 'b');
        await kong.service.request.add_header('x-list', '2');
        await kong.service.request.clearHeader('x-drop');
        await kong.service.request.setQuery({ z: '1', a: true });
        await kong.service.request.setPath('/new');
        await kong.service.request.set_method('PUT');
      },
    }));
    const r = await runPlugin(def, {}, { path: '/old', headers: { 'x-list': '1', 'x-drop': 'd' } });
    expect(r.upstream).toMatchObject({ method: 'PUT', path: '/new', query: 'a&z=1' });
    expect(r.upstream.headers).toMatchObject({ 'x-a': 'b', 'x-list': '1, 2' });
    expect(r.upstream.headers['x-drop']).toBeUndefined();
  });

  it('kong.response.exit with a table body answers JSON; rewrite runs before access and its exit skips access', async () => {
    let accessRan = false;
    const def = kongPlugin('exiter', mod({
      async rewrite(kong) {
        if ((await kong.request.getHeader('x-stop')) !== undefined) await kong.response.exit(401, { message: 'no' });
      },
      async access() {
        accessRan = true;
      },
    }));
    const r = await runPlugin(def, {}, { headers: { 'x-stop': '1' } });
    expect(r.response.status).toBe(401);
    expect(JSON.parse(r.response.body.toString())).toEqual({ message: 'no' });
    expect(accessRan).toBe(false);
    await runPlugin(def, {});
    expect(accessRan).toBe(true);
  });

  it('a thrown error or an unsupported PDK function is a 500; CR/LF in a header value is refused', async () => {
    const thrower = kongPlugin('thrower', mod({ async access() { throw new Error('x'); } }));
    expect((await runPlugin(thrower, {})).response.status).toBe(500);
    const missing = kongPlugin('missing', mod({ async access(kong) { await kong.request.getStartTime(); } }));
    expect((await runPlugin(missing, {})).response.status).toBe(500);
    const crlf = kongPlugin('crlf', mod({ async access(kong) { await kong.response.setHeader('x', 'a\nb'); } }));
    expect((await runPlugin(crlf, {})).response.status).toBe(500);
  });

  it('ctx.shared and ctx.plugin are per request', async () => {
    let got: unknown;
    const def = kongPlugin('ctx', mod({
      async access(kong) {
        got = await (kong.ctx.shared as unknown as { get(k: string): Promise<unknown> }).get('k');
        await (kong.ctx.shared as unknown as { set(k: string, v: unknown): Promise<void> }).set('k', 'v');
      },
    }));
    await runPlugin(def, {});
    expect(got).toBeUndefined();
  });

  it('the response phase reads and replaces the upstream body', async () => {
    const def = kongPlugin('resp', mod({
      async response(kong) {
        const body = await kong.service.response.getRawBody();
        await kong.response.setHeader('x-len', String((body as string).length));
        await kong.response.exit(201, 'new:' + String(body));
      },
    }));
    const r = await runPlugin(def, {}, {}, { status: 200, body: 'old', headers: { 'content-type': 'text/plain' } });
    expect(r.response.status).toBe(201);
    expect(r.response.body.toString()).toBe('new:old');
    expect(r.response.headers['x-len']).toBe('3');
  });
});

describe('kong.request.get_raw_body across phases', () => {
  it('the response phase reads the body access saw (or set_raw_body replaced), also in a plugin with no access phase', async () => {
    const echo = kongPlugin('echo-body', mod({
      async response(kong) {
        await kong.response.exit(200, 'saw:' + String(await kong.request.get_raw_body()));
      },
    }));
    const r = await runPlugin(echo, {}, { method: 'POST', headers: { 'content-length': '5' }, body: 'hello' });
    expect(r.response.body.toString()).toBe('saw:hello');

    const rewriter = kongPlugin('rewrite-body', mod({
      async access(kong) {
        await kong.service.request.setRawBody(String(await kong.request.getRawBody()).toUpperCase());
      },
      async response(kong) {
        const [parsed] = (await kong.request.getBody('application/json')) as [unknown];
        await kong.response.exit(200, { now: await kong.request.getRawBody(), parsed });
      },
    }));
    const r2 = await runPlugin(rewriter, {}, { method: 'POST', headers: { 'content-length': '3' }, body: '"a"' });
    expect(r2.upstream.body?.toString()).toBe('"A"');
    expect(JSON.parse(r2.response.body.toString())).toEqual({ now: '"A"', parsed: 'A' });
  });

  it('the response phase may not replace the body that went upstream', async () => {
    const late = kongPlugin('late-set', mod({
      async response(kong) {
        await kong.service.request.set_raw_body('x');
      },
    }));
    const r = await runPlugin(late, {}, { method: 'POST', headers: { 'content-length': '1' }, body: 'a' });
    expect(r.response.status).toBe(500);
  });

  it('the log phase rejects as Kong does (get_raw_body is a rewrite/access/response function), naming the function', async () => {
    let settle!: (v: string) => void;
    const seen = new Promise<string>((r) => (settle = r));
    const def = kongPlugin('log-body', mod({
      async log(kong) {
        try {
          settle(String(await kong.request.get_raw_body()));
        } catch (e) {
          settle((e as Error).message);
        }
      },
    }));
    await runPlugin(def, {}, { method: 'POST', headers: { 'content-length': '5' }, body: 'hello' });
    expect(await seen).toBe('kong.request.get_raw_body: function cannot be called in log phase (only in: rewrite, access, response)');
  });

  it('a body that streamed (the class never names a body function) rejects naming the function; no body reads as ""', async () => {
    const read = (kong: Kong): Promise<unknown> => kong.request['get_raw_body']!();
    let got: unknown;
    const def = kongPlugin('helper-reader', mod({
      async access(kong) {
        try {
          got = await read(kong);
        } catch (e) {
          got = (e as Error).message;
        }
      },
    }));
    await runPlugin(def, {}, { method: 'POST', headers: { 'content-length': '5' }, body: 'hello' });
    expect(got).toMatch(/^kong\.request\.get_raw_body: the request body was not buffered/);
    await runPlugin(def, {}, { method: 'GET' });
    expect(got).toBe('');
  });

  it("readsRequestBody: the class's code naming a request-body function, in either spelling", () => {
    const cls = (phases: Record<string, unknown>): new (c: Record<string, unknown>) => Record<string, unknown> => mod(phases as never).Plugin;
    expect(readsRequestBody(cls({ async access(k: Kong) { await k.request.getRawBody(); } }))).toBe(true);
    expect(readsRequestBody(cls({ async access(k: Kong) { await k.request.get_body(); } }))).toBe(true);
    expect(readsRequestBody(cls({ async access(k: Kong) { await k.service.request.set_raw_body('x'); } }))).toBe(true);
    expect(readsRequestBody(cls({ async response(k: Kong) { await k.service.response.getRawBody(); } }))).toBe(false);
    expect(readsRequestBody(cls({ async access(k: Kong) { await k.request.getHeader('x'); } }))).toBe(false);
  });
});

describe('Kong schema translation', () => {
  it('refuses a Schema that contains itself (a record or array element pointing back) instead of recursing forever', () => {
    const rec: Record<string, unknown> = { type: 'record', fields: [] };
    (rec.fields as unknown[]).push({ self: rec });
    expect(() => kongSchemaToJsonSchema([{ outer: rec }], 'loop.Schema')).toThrow('loop.Schema.outer.self contains itself (a cycle in the Schema)');
    const arr: Record<string, unknown> = { type: 'array' };
    arr.elements = arr;
    expect(() => kongSchemaToJsonSchema([{ list: arr }], 'loop.Schema')).toThrow('loop.Schema.list.elements contains itself');
    // The same field object used twice side by side is no cycle.
    const shared = { type: 'string' };
    expect(() => kongSchemaToJsonSchema([{ a: shared }, { b: shared }])).not.toThrow();
  });

  it('required, default, one_of, between, len_min, arrays, records, maps; optional fields are null', async () => {
    const schema = kongSchemaToJsonSchema([
      { name: { type: 'string', required: true, len_min: 2 } },
      { mode: { type: 'string', one_of: ['a', 'b'], default: 'a' } },
      { n: { type: 'integer', between: [1, 3] } },
      { list: { type: 'array', elements: { type: 'string', match: '^%a+$' }, default: [] } },
      { rec: { type: 'record', fields: [{ x: { type: 'number', default: 1 } }] } },
      { m: { type: 'map', keys: { type: 'string' }, values: { type: 'integer' } } },
    ]);
    const def = kongPlugin('schema', { ...mod({ async access() {} }), Schema: [] });
    const r = await runPlugin({ ...def, schema }, { name: 'ab', list: ['abc'] });
    expect(r.answered).toBeNull();
    await expect(runPlugin({ ...def, schema }, { name: 'a' })).rejects.toThrow(/invalid config/);
    await expect(runPlugin({ ...def, schema }, { name: 'ab', n: 4 })).rejects.toThrow(/invalid config/);
    await expect(runPlugin({ ...def, schema }, { name: 'ab', list: ['a1'] })).rejects.toThrow(/invalid config/);
    await expect(runPlugin({ ...def, schema }, { name: 'ab', unknown: 1 })).rejects.toThrow(/invalid config/);
    expect(luaPatternToRegex('^%d+%.%a-$')).toBe('^[0-9]+\\.[A-Za-z]*?$');
  });
});
