/** request-validator through the plugin harness (src/plugins/harness.ts): the body is FakeRequest.body. */
import { describe, expect, it } from 'vitest';
import { runPlugin } from '../harness.js';
import { requestValidator } from './index.js';

const draft7 = JSON.stringify({ type: 'object', required: ['name'], properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } } });
const post = (body: string, contentType = 'application/json') => ({ method: 'POST', headers: { 'content-type': contentType }, body });
const message = (body: Buffer): string => (JSON.parse(body.toString()) as { message: string }).message;

describe('request-validator (harness)', () => {
  it('passes a body that conforms to a draft 7 schema, unchanged upstream', async () => {
    const r = await runPlugin(requestValidator, { body_schema: draft7, version: 'draft7' }, post('{"name":"n","age":3}'));
    expect(r.answered).toBeNull();
    expect(r.upstream.body?.toString()).toBe('{"name":"n","age":3}');
  });

  it("refuses a body that does not conform with Kong's message; verbose_response says why", async () => {
    const quiet = await runPlugin(requestValidator, { body_schema: draft7, version: 'draft7' }, post('{"age":-1}'));
    expect(quiet.response.status).toBe(400);
    expect(message(quiet.response.body)).toBe("request body doesn't conform to schema");
    const verbose = await runPlugin(requestValidator, { body_schema: draft7, version: 'draft7', verbose_response: true }, post('{"name":"n","age":-1}'));
    expect(verbose.response.status).toBe(400);
    expect(message(verbose.response.body)).toMatch(/^request body .*age.*>= 0/);
  });

  it('refuses a body that is not JSON and a Content-Type not allowed', async () => {
    const conf = { body_schema: draft7, version: 'draft7', verbose_response: true };
    expect(message((await runPlugin(requestValidator, conf, post('{"name":'))).response.body)).toBe('request body is not valid JSON');
    const xml = await runPlugin(requestValidator, conf, post('<a/>', 'application/xml'));
    expect(xml.response.status).toBe(400);
    expect(message(xml.response.body)).toBe('specified Content-Type is not allowed');
  });

  it('content_type_parameter_validation compares parameters too', async () => {
    const conf = { body_schema: draft7, version: 'draft7', allowed_content_types: ['application/json; charset=utf-8'] };
    expect((await runPlugin(requestValidator, conf, post('{"name":"n"}', 'application/json; charset=UTF-8'))).answered).toBeNull();
    expect((await runPlugin(requestValidator, conf, post('{"name":"n"}', 'application/json'))).response.status).toBe(400);
    expect((await runPlugin(requestValidator, { ...conf, content_type_parameter_validation: false }, post('{"name":"n"}', 'application/json'))).answered).toBeNull();
  });

  it("validates with Kong's own schema dialect (the default version)", async () => {
    const kong = JSON.stringify([{ name: { type: 'string', required: true, len_min: 2 } }, { tags: { type: 'set', elements: { type: 'string' } } }]);
    expect((await runPlugin(requestValidator, { body_schema: kong }, post('{"name":"ab","tags":["x"]}'))).answered).toBeNull();
    expect((await runPlugin(requestValidator, { body_schema: kong }, post('{"name":"a"}'))).response.status).toBe(400);
    expect((await runPlugin(requestValidator, { body_schema: kong }, post('{"name":"ab","tags":["x","x"]}'))).response.status).toBe(400);
  });

  it('validates query, header and path parameters, coercing them to the schema type', async () => {
    const conf = {
      verbose_response: true,
      parameter_schema: [
        { in: 'query', name: 'limit', required: true, schema: '{"type":"integer","maximum":100}' },
        { in: 'header', name: 'X-Ids', required: false, schema: '{"type":"array","items":{"type":"integer"}}', style: 'simple', explode: false },
        { in: 'path', name: 'id', required: true, schema: '{"type":"string","pattern":"^[a-z]+$"}' },
      ],
    };
    const ok = await runPlugin(requestValidator, conf, { path: '/x?limit=10', headers: { 'x-ids': '1,2,3' }, params: { id: 'abc' } });
    expect(ok.answered).toBeNull();
    const missing = await runPlugin(requestValidator, conf, { path: '/x', params: { id: 'abc' } });
    expect(missing.response.status).toBe(400);
    expect(message(missing.response.body)).toBe("query 'limit' validation failed, [error] required parameter missing");
    const big = await runPlugin(requestValidator, conf, { path: '/x?limit=1000', params: { id: 'abc' } });
    expect(message(big.response.body)).toMatch(/^query 'limit' validation failed, \[error\] /);
    const badHeader = await runPlugin(requestValidator, conf, { path: '/x?limit=1', headers: { 'x-ids': '1,b' }, params: { id: 'abc' } });
    expect(message(badHeader.response.body)).toMatch(/^header 'X-Ids' validation failed/);
    const badPath = await runPlugin(requestValidator, { ...conf, verbose_response: false }, { path: '/x?limit=1', params: { id: 'ABC' } });
    expect(message(badPath.response.body)).toBe("request param doesn't conform to schema");
  });

  it('refuses a config with neither schema, an invalid schema, and style without explode', async () => {
    await expect(runPlugin(requestValidator, {})).rejects.toThrow(/invalid config for request-validator: +at least one of body_schema or parameter_schema/);
    await expect(runPlugin(requestValidator, { body_schema: '{not json' , version: 'draft7' })).rejects.toThrow(/invalid config for request-validator: body_schema invalid draft7 schema: not valid JSON/);
    await expect(runPlugin(requestValidator, { body_schema: JSON.stringify([{ a: { type: 'string', match: '^x' } }]) })).rejects.toThrow(/"match" is not supported/);
    await expect(
      runPlugin(requestValidator, { parameter_schema: [{ in: 'query', name: 'q', required: false, schema: '{"type":"array"}', style: 'form' }] }),
    ).rejects.toThrow(/parameter_schema\.0\.explode explode is required when style is set/);
  });
});
