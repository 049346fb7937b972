/**
 * request-transformer, response-transformer and request-validator through the real gateway
 * (built CLI) with a real upstream that echoes what it got.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let up: Upstream;
let gw: GatewayProcess;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The upstream: echo as JSON, except under /json/... which answers a fixed JSON document, /text a text one, /big a large JSON one. */
function handler(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: Buffer): void {
  const url = req.url!;
  if (url.startsWith('/json')) {
    const out = JSON.stringify({ host: 'h', http: 'x', keep: 1, list: ['a'], name: 'n', count: 5, nested: { a: 1 } });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-toremove': 'bye', 'x-old': 'old-value', 'x-keep': 'k' });
    res.end(out);
    return;
  }
  if (url.startsWith('/chunked-json')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"a":1,');
    setTimeout(() => res.end('"host":"gone"}'), 20);
    return;
  }
  if (url.startsWith('/text')) {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-toremove': 'bye' });
    res.end('{"host":"not json content-type"}');
    return;
  }
  if (url.startsWith('/notjson')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('this is not json');
    return;
  }
  const out = JSON.stringify({ method: req.method, url, headers: req.headers, body: body.toString('utf8') });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
  res.end(out);
}

const yaml = (): string => `
_format_version: "3.0"
services:
  - name: api
    url: ${up.url}
    routes:
      - name: rq-headers
        paths: [/rq-headers]
        plugins:
          - name: request-transformer
            config:
              remove: { headers: [x-remove-me] }
              rename: { headers: ["x-old:x-new"] }
              replace: { headers: ["x-replace:replaced", "x-absent:never"] }
              add: { headers: ["x-added:$(headers.x_source)", "x-present:no", "x-q:$(query_params.q)", "x-def:$(headers.x-nope or 'dflt')"] }
              append: { headers: ["x-present:more", "x-app:one"] }
      - name: rq-query
        paths: [/rq-query]
        plugins:
          - name: request-transformer
            config:
              remove: { querystring: [drop] }
              rename: { querystring: ["old:new"] }
              replace: { querystring: ["rep:R", "missing:M"] }
              add: { querystring: ["added:A", "keep:nope"] }
              append: { querystring: ["multi:2"] }
      - name: rq-body
        paths: [/rq-body]
        plugins:
          - name: request-transformer
            config:
              remove: { body: [secret] }
              rename: { body: ["old:new"] }
              replace: { body: ["rep:R"] }
              add: { body: ["added:$(headers.x-tenant)", "keep:nope"] }
              append: { body: ["tags:t2"] }
      - name: rq-uri
        paths: ["/pets/{petId}"]
        strip_path: false
        plugins:
          - name: request-transformer
            config:
              http_method: post
              replace: { uri: "/v2/animals/$(uri_captures.petId)/x/$(uri_captures[\\"petId\\"])" }
      - name: rq-get
        paths: [/rq-get]
        plugins:
          - { name: request-transformer, config: { http_method: GET } }
      - name: rq-host
        paths: [/rq-host]
        plugins:
          - { name: request-transformer, config: { replace: { headers: ["host:example.test"] } } }
      - name: rs-headers
        paths: [/rs]
        strip_path: true
        plugins:
          - name: response-transformer
            config:
              remove: { headers: [x-toremove], json: [host, http] }
              rename: { headers: ["x-old:x-renamed"] }
              replace: { headers: ["x-keep:replaced", "x-none:never"], json: ["name:N2", "count:7", "absent:zz"], json_types: [string, number, string] }
              add: { headers: ["x-added:yes", "x-keep:no"], json: ["statusVal:approved", "code:200", "flag:true", "keep:2"], json_types: [string, number, boolean, number] }
              append: { headers: ["x-keep:second"], json: ["list:b", "name:more"] }
      - name: rs-gateway-made
        paths: [/rs-made]
        plugins:
          - { name: request-termination, config: { status_code: 403, message: nope } }
          - { name: response-transformer, config: { add: { headers: ["x-on-error:1"] }, remove: { headers: [content-type] } } }
      - name: rv-kong
        paths: [/rv-kong]
        plugins:
          - name: request-validator
            config:
              body_schema: '[{"name":{"type":"string","required":true}},{"age":{"type":"integer","between":[0,150]}}]'
      - name: rv-draft4
        paths: [/rv-draft4]
        plugins:
          - name: request-validator
            config:
              version: draft4
              verbose_response: true
              allowed_content_types: [application/json, "application/json; charset=utf-8", application/x-www-form-urlencoded]
              body_schema: '{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","required":["id"],"properties":{"id":{"type":"integer","minimum":0,"exclusiveMinimum":true}}}'
      - name: rv-params
        paths: ["/rv-params/{petId}"]
        plugins:
          - name: request-validator
            config:
              verbose_response: true
              parameter_schema:
                - { in: path, name: petId, required: true, schema: '{"type":"integer"}' }
                - { in: header, name: X-Version, required: true, schema: '{"type":"string","enum":["1","2"]}' }
                - { in: query, name: ids, required: false, style: form, explode: false, schema: '{"type":"array","items":{"type":"integer"},"maxItems":3}' }
                - { in: query, name: tag, required: false, style: form, explode: true, schema: '{"type":"array","items":{"type":"string"}}' }
      - name: rv-terse
        paths: [/rv-terse]
        plugins:
          - name: request-validator
            config:
              parameter_schema: [{ in: query, name: page, required: true, schema: '{"type":"integer"}' }]
`;

beforeAll(async () => {
  up = await startUpstream(handler);
  gw = await startGateway(yaml());
}, 60000);

afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

const echo = async (path: string, init?: RequestInit): Promise<Json> => {
  const r = await fetch(gw.url + path, init);
  expect(r.status).toBe(200);
  return r.json();
};

describe('request-transformer', () => {
  it('transforms headers in Kong order, with templates', async () => {
    const e = await echo('/rq-headers?q=from-query', {
      headers: { 'x-remove-me': '1', 'x-old': 'moved', 'x-replace': 'orig', 'x-present': 'yes', 'x-source': 'tmpl' },
    });
    const h = e.headers;
    expect(h['x-remove-me']).toBeUndefined();
    expect(h['x-old']).toBeUndefined();
    expect(h['x-new']).toBe('moved');
    expect(h['x-replace']).toBe('replaced');
    expect(h['x-absent']).toBeUndefined();
    expect(h['x-added']).toBe('tmpl');
    expect(h['x-q']).toBe('from-query');
    expect(h['x-def']).toBe('dflt');
    expect(h['x-present']).toBe('yes, more');
    expect(h['x-app']).toBe('one');
  });

  it('transforms the query string', async () => {
    const e = await echo('/rq-query?drop=1&old=o&rep=r&keep=k&multi=1');
    const q = new URLSearchParams(e.url.split('?')[1]);
    expect(q.has('drop')).toBe(false);
    expect(q.get('new')).toBe('o');
    expect(q.has('old')).toBe(false);
    expect(q.get('rep')).toBe('R');
    expect(q.has('missing')).toBe(false);
    expect(q.get('added')).toBe('A');
    expect(q.get('keep')).toBe('k');
    expect(q.getAll('multi')).toEqual(['1', '2']);
  });

  it('leaves a query string alone when no rule matched anything it has', async () => {
    const e = await echo('/rq-headers?a=%20b');
    expect(e.url).toBe('/?a=%20b');
  });

  it('transforms a JSON body and fixes Content-Length', async () => {
    const body = JSON.stringify({ secret: 's', old: 1, rep: 'r', keep: 'k', tags: 't1' });
    const e = await echo('/rq-body', { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-tenant': 'acme' } });
    const sent = JSON.parse(e.body);
    expect(sent).toEqual({ new: 1, rep: 'R', keep: 'k', tags: ['t1', 't2'], added: 'acme' });
    expect(Number(e.headers['content-length'])).toBe(Buffer.byteLength(e.body));
  });

  it('transforms a chunked JSON body (read whole before access)', async () => {
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"secret":1,'));
        c.enqueue(new TextEncoder().encode('"x":2}'));
        c.close();
      },
    });
    const e = await echo('/rq-body', { method: 'POST', body: stream, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    expect(JSON.parse(e.body)).toEqual({ x: 2, added: '', keep: 'nope', tags: ['t2'] });
    expect(e.headers['transfer-encoding']).toBeUndefined();
    expect(Number(e.headers['content-length'])).toBe(Buffer.byteLength(e.body));
  });

  it('transforms a form body', async () => {
    const e = await echo('/rq-body', { method: 'POST', body: 'secret=1&old=2&rep=x&tags=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const f = new URLSearchParams(e.body);
    expect(f.has('secret')).toBe(false);
    expect(f.get('new')).toBe('2');
    expect(f.get('rep')).toBe('R');
    expect(f.get('added')).toBe('');
    expect(f.getAll('tags')).toEqual(['a', 't2']);
  });

  it('adds to an empty JSON body, and leaves other content types and invalid JSON alone', async () => {
    const e = await echo('/rq-body', { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant': 't' } });
    expect(JSON.parse(e.body)).toEqual({ added: 't', keep: 'nope', tags: ['t2'] });
    const t = await echo('/rq-body', { method: 'POST', body: 'secret=1', headers: { 'content-type': 'text/plain' } });
    expect(t.body).toBe('secret=1');
    const bad = await echo('/rq-body', { method: 'POST', body: '{"secret":', headers: { 'content-type': 'application/json' } });
    expect(bad.body).toBe('{"secret":');
  });

  it('answers 413 when a body it must read is over SLUICE_MAX_BUFFERED_BODY (default 8 MiB)', async () => {
    const r = await fetch(gw.url + '/rq-body', { method: 'POST', body: Buffer.alloc(9 * 1024 * 1024, 97), headers: { 'content-type': 'application/json' } }).catch((e: Error) => e);
    if (r instanceof Error) return; // the gateway may close before the client finished sending
    expect(r.status).toBe(413);
  });

  it('changes the method and replaces the upstream path with path template captures', async () => {
    const e = await echo('/pets/42');
    expect(e.method).toBe('POST');
    expect(e.url).toBe('/v2/animals/42/x/42');
  });

  it('moves a form body into the query when the method becomes GET', async () => {
    const e = await echo('/rq-get?a=1', { method: 'POST', body: 'b=2&a=3', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(e.method).toBe('GET');
    const q = new URLSearchParams(e.url.split('?')[1]);
    expect(q.getAll('a')).toEqual(['1', '3']);
    expect(q.get('b')).toBe('2');
  });

  it('replaces the Host sent upstream', async () => {
    const e = await echo('/rq-host');
    expect(e.headers.host).toBe('example.test');
  });
});

describe('response-transformer', () => {
  it('transforms headers and the JSON body, with json_types and a new Content-Length', async () => {
    const r = await fetch(gw.url + '/rs/json');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-toremove')).toBeNull();
    expect(r.headers.get('x-old')).toBeNull();
    expect(r.headers.get('x-renamed')).toBe('old-value');
    expect(r.headers.get('x-keep')).toBe('replaced, second');
    expect(r.headers.get('x-none')).toBeNull();
    expect(r.headers.get('x-added')).toBe('yes');
    const text = await r.text();
    expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    expect(JSON.parse(text)).toEqual({ keep: 1, list: ['a', 'b'], name: ['N2', 'more'], count: 7, nested: { a: 1 }, statusVal: 'approved', code: 200, flag: true });
  });

  it('transforms a chunked JSON response too', async () => {
    const r = await fetch(gw.url + '/rs/chunked-json');
    const text = await r.text();
    expect(JSON.parse(text)).toMatchObject({ a: 1, statusVal: 'approved' });
    expect(JSON.parse(text).host).toBeUndefined();
    expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(text));
  });

  it('streams non-JSON responses unchanged (headers still transformed)', async () => {
    const r = await fetch(gw.url + '/rs/text');
    expect(await r.text()).toBe('{"host":"not json content-type"}');
    expect(r.headers.get('x-toremove')).toBeNull();
    expect(r.headers.get('x-added')).toBe('yes');
  });

  it('sends a JSON content-type body that does not parse unchanged', async () => {
    const r = await fetch(gw.url + '/rs/notjson');
    expect(await r.text()).toBe('this is not json');
  });

  it('applies to gateway-made responses', async () => {
    const r = await fetch(gw.url + '/rs-made');
    expect(r.status).toBe(403);
    expect(r.headers.get('x-on-error')).toBe('1');
    expect(r.headers.get('content-type')).toBeNull();
    expect(((await r.json()) as Json).message).toBe('nope');
  });
});

describe('request-validator', () => {
  const post = (path: string, body: string, ct = 'application/json'): Promise<Response> =>
    fetch(gw.url + path, { method: 'POST', body, headers: { 'content-type': ct } });

  it('validates a body with Kong\'s own schema dialect', async () => {
    expect((await post('/rv-kong', '{"name":"x","age":3}')).status).toBe(200);
    const bad = await post('/rv-kong', '{"age":3}');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).message).toBe("request body doesn't conform to schema");
    expect((await post('/rv-kong', '{"name":"x","age":200}')).status).toBe(400);
    expect((await post('/rv-kong', 'not json')).status).toBe(400);
  });

  it('refuses a Content-Type that is not allowed (parameters compared)', async () => {
    const r = await post('/rv-kong', '{"name":"x"}', 'text/plain');
    expect(r.status).toBe(400);
    expect(((await r.json()) as Json).message).toBe('specified Content-Type is not allowed');
    expect((await post('/rv-kong', '{"name":"x"}', 'application/json; charset=utf-8')).status).toBe(400);
    expect((await post('/rv-draft4', '{"id":1}', 'application/json; charset=UTF-8')).status).toBe(200);
  });

  it('validates draft-4 schemas (boolean exclusiveMinimum) with verbose errors, and form bodies', async () => {
    expect((await post('/rv-draft4', '{"id":1}')).status).toBe(200);
    const bad = await post('/rv-draft4', '{"id":0}');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).message).toMatch(/^request body \/id must be > 0/);
    const missing = await post('/rv-draft4', '{}');
    expect(((await missing.json()) as Json).message).toMatch(/must have required property 'id'/);
    expect((await post('/rv-draft4', 'id=3', 'application/x-www-form-urlencoded')).status).toBe(400); // "3" is a string
  });

  it('validates path, header and query parameters (styles, explode, required)', async () => {
    const ok = await fetch(gw.url + '/rv-params/12?ids=1,2&tag=a&tag=b', { headers: { 'x-version': '2' } });
    expect(ok.status).toBe(200);
    const badPath = await fetch(gw.url + '/rv-params/abc', { headers: { 'x-version': '2' } });
    expect(badPath.status).toBe(400);
    expect(((await badPath.json()) as Json).message).toBe("path 'petId' validation failed, [error] must be integer");
    const noHeader = await fetch(gw.url + '/rv-params/1');
    expect(((await noHeader.json()) as Json).message).toBe("header 'X-Version' validation failed, [error] required parameter missing");
    const badEnum = await fetch(gw.url + '/rv-params/1', { headers: { 'x-version': '3' } });
    expect(badEnum.status).toBe(400);
    const tooMany = await fetch(gw.url + '/rv-params/1?ids=1,2,3,4', { headers: { 'x-version': '1' } });
    expect(((await tooMany.json()) as Json).message).toMatch(/^query 'ids' validation failed, \[error\] must NOT have more than 3 items/);
    const notInt = await fetch(gw.url + '/rv-params/1?ids=1,x', { headers: { 'x-version': '1' } });
    expect(notInt.status).toBe(400);
  });

  it('answers without details unless verbose_response', async () => {
    const r = await fetch(gw.url + '/rv-terse?page=x');
    expect(r.status).toBe(400);
    expect(((await r.json()) as Json).message).toBe("request param doesn't conform to schema");
    expect((await fetch(gw.url + '/rv-terse?page=2')).status).toBe(200);
  });
});
