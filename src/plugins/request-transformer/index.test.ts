/** request-transformer through the plugin harness (src/plugins/harness.ts): no gateway, no socket. */
import { describe, expect, it } from 'vitest';
import { runPlugin } from '../harness.js';
import { requestTransformer } from './index.js';

describe('request-transformer (harness)', () => {
  it('adds, renames and removes upstream headers', async () => {
    const r = await runPlugin(
      requestTransformer,
      { add: { headers: ['x-added:$(headers.x_source)'] }, rename: { headers: ['x-old:x-new'] }, remove: { headers: ['x-gone'] } },
      { path: '/a?b=1', headers: { 'x-source': 'src', 'x-old': 'o', 'x-gone': 'g' } },
    );
    expect(r.answered).toBeNull();
    expect(r.upstream.headers).toMatchObject({ 'x-added': 'src', 'x-new': 'o' });
    expect(r.upstream.headers['x-old']).toBeUndefined();
    expect(r.upstream.headers['x-gone']).toBeUndefined();
  });

  it('rejects an invalid config as the gateway would', async () => {
    await expect(runPlugin(requestTransformer, { add: { headers: ['no-colon'] } })).rejects.toThrow(/invalid config/);
  });
});

describe('request-transformer (harness): query, body, method and uri', () => {
  it('transforms the query string in Kong order (remove, rename, replace, add, append)', async () => {
    const r = await runPlugin(
      requestTransformer,
      { remove: { querystring: ['drop'] }, rename: { querystring: ['old:new'] }, replace: { querystring: ['r:2'] }, add: { querystring: ['a:1', 'r:ignored'] }, append: { querystring: ['l:x'] } },
      { path: '/p?drop=1&old=o&r=1&l=w' },
    );
    const q = new URLSearchParams(r.upstream.query);
    expect(q.has('drop')).toBe(false);
    expect(q.get('new')).toBe('o');
    expect(q.get('r')).toBe('2');
    expect(q.get('a')).toBe('1');
    expect(q.getAll('l')).toEqual(['w', 'x']);
  });

  it('transforms a JSON body; a body that is not JSON goes through unchanged', async () => {
    const conf = { remove: { body: ['secret'] }, add: { body: ['source:gw'] }, append: { body: ['tags:new'] } };
    const json = await runPlugin(requestTransformer, conf, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"secret":1,"tags":"old"}' });
    expect(JSON.parse(json.upstream.body!.toString())).toEqual({ source: 'gw', tags: ['old', 'new'] });
    const broken = await runPlugin(requestTransformer, conf, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"secret":' });
    expect(broken.upstream.body!.toString()).toBe('{"secret":');
  });

  it('transforms a form body, and adds to an empty one', async () => {
    const conf = { rename: { body: ['u:user'] }, add: { body: ['k:v'] } };
    const r = await runPlugin(requestTransformer, conf, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'u=alice' });
    expect(r.upstream.body!.toString()).toBe('user=alice&k=v');
    const empty = await runPlugin(requestTransformer, conf, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(empty.upstream.body!.toString()).toBe('k=v');
  });

  it('http_method GET moves a form body into the query string', async () => {
    const r = await runPlugin(requestTransformer, { http_method: 'GET' }, { method: 'POST', path: '/s?a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'b=2' });
    expect(r.upstream.method).toBe('GET');
    expect(new URLSearchParams(r.upstream.query).get('a')).toBe('1');
    expect(new URLSearchParams(r.upstream.query).get('b')).toBe('2');
  });

  it('replace.uri sets the upstream path from a template of the query', async () => {
    const r = await runPlugin(requestTransformer, { replace: { uri: '/v2/$(query_params.id)' } }, { path: '/v1?id=42' });
    expect(r.upstream.path).toBe('/v2/42');
  });

  it('refuses a rename without a new name', async () => {
    await expect(runPlugin(requestTransformer, { rename: { headers: ['x-a:'] } })).rejects.toThrow(/invalid config for request-transformer: rename\.headers\.0 "x-a:": rename needs old_name:new_name/);
  });
});
