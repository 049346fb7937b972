/** response-transformer through the plugin harness (src/plugins/harness.ts): header and body phases. */
import { describe, expect, it } from 'vitest';
import { runPlugin } from '../harness.js';
import { responseTransformer } from './index.js';

const upstream = (headers: Record<string, string>, body = '') => ({ status: 200, headers, body });

describe('response-transformer (harness)', () => {
  it('removes, renames, replaces, adds and appends response headers', async () => {
    const r = await runPlugin(
      responseTransformer,
      {
        remove: { headers: ['x-secret'] },
        rename: { headers: ['x-old:x-new'] },
        replace: { headers: ['server:sluice', 'x-absent:never'] },
        add: { headers: ['x-added:1', 'x-present:not-used'] },
        append: { headers: ['x-appended:2'] },
      },
      {},
      upstream({ 'x-secret': 's', 'x-old': 'o', server: 'nginx', 'x-present': 'kept', 'content-type': 'text/plain' }, 'body'),
    );
    const h = r.response.headers;
    expect(h['x-secret']).toBeUndefined();
    expect(h['x-old']).toBeUndefined();
    expect(h['x-new']).toBe('o');
    expect(h.server).toBe('sluice');
    expect(h['x-absent']).toBeUndefined(); // replace only replaces what is there
    expect(h['x-added']).toBe('1');
    expect(h['x-present']).toBe('kept'); // add only adds what is missing
    expect(h['x-appended']).toBe('2');
    expect(r.response.body.toString()).toBe('body');
  });

  it('transforms a JSON object body: remove, rename, replace, add and append, with json_types', async () => {
    const r = await runPlugin(
      responseTransformer,
      {
        remove: { json: ['password'] },
        rename: { json: ['uid:id'] },
        replace: { json: ['status:ok'] },
        add: { json: ['count:3', 'flag:true', 'status:ignored'], json_types: ['number', 'boolean', 'string'] },
        append: { json: ['tags:new'] },
      },
      {},
      upstream({ 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ password: 'p', uid: 7, status: 'bad', tags: 'old' })),
    );
    expect(JSON.parse(r.response.body.toString())).toEqual({ id: 7, status: 'ok', count: 3, flag: true, tags: ['old', 'new'] });
  });

  it('leaves a body that is not JSON, or not a JSON object, unchanged', async () => {
    const conf = { add: { json: ['a:1'] } };
    const text = await runPlugin(responseTransformer, conf, {}, upstream({ 'content-type': 'text/plain' }, '{"x":1}'));
    expect(text.response.body.toString()).toBe('{"x":1}');
    const array = await runPlugin(responseTransformer, conf, {}, upstream({ 'content-type': 'application/json' }, '[1,2]'));
    expect(array.response.body.toString()).toBe('[1,2]');
    const broken = await runPlugin(responseTransformer, conf, {}, upstream({ 'content-type': 'application/json' }, '{"x":'));
    expect(broken.response.body.toString()).toBe('{"x":');
  });

  it('applies header rules whatever the response (no content type, empty body)', async () => {
    const r = await runPlugin(responseTransformer, { add: { headers: ['x-on-error:yes'] } }, {}, upstream({}));
    expect(r.response.headers['x-on-error']).toBe('yes');
  });

  it('refuses more json_types than json entries and an unknown json type', async () => {
    await expect(runPlugin(responseTransformer, { add: { json: ['a:1'], json_types: ['number', 'string'] } })).rejects.toThrow(
      /invalid config for response-transformer: add\.json_types 2 json_types for 1 json entries/,
    );
    await expect(runPlugin(responseTransformer, { add: { json: ['a:1'], json_types: ['date'] } })).rejects.toThrow(/invalid config for response-transformer: \/add\/json_types/);
  });
});
