/**
 * The cases of Kong's spec/02-integration/05-proxy/02-router_spec.lua (Kong commit 22246ef2) that
 * only the whole gateway shows: the query string, X-Forwarded-Path and the Host the upstream gets,
 * and a request without a Host. A real gateway in front of a recording upstream; each case names
 * its Kong line. (Which route and which upstream path: test/unit/router/kong-integration.data.ts.)
 */
import { describe, expect, it } from 'vitest';
import { useRecordedGateway } from '../helpers/recorded-gateway.js';
import { bytes, rawExchange, statuses, type RecordedRequest } from '../helpers/raw.js';

const INTEGRATION = 'spec/02-integration/05-proxy/02-router_spec.lua';

const t = useRecordedGateway((url) => `
_format_version: "3.0"
services:
  - name: mock
    url: ${url}
    routes:
      - name: by-method
        methods: [GET]
        strip_path: false
      - name: query
        hosts: [mock_upstream]
      - name: foo-bar
        paths: [/foo/bar]
      - name: hello
        paths: [/hello]
      - name: anything-world
        paths: [/anything/world]
        strip_path: false
  - name: request
    url: ${url}/request
    routes:
      - name: preserved
        preserve_host: true
        hosts: [preserved.com, "preserved.com:123"]
      - name: discarded
        hosts: [discarded.com]
routes:
  - name: serviceless
    hosts: [serviceless-route-http.test]
`);

/** Sends one request as raw bytes; the status, and what the upstream received (if it did). */
async function send(target: string, host: string | null, version = '1.1', method = 'GET'): Promise<{ status: number | undefined; body: string; up: RecordedRequest | undefined }> {
  const before = t.rec.requests.length;
  const head = `${method} ${target} HTTP/${version}\r\n${host === null ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`;
  const r = await rawExchange(t.gw.proxyPort, bytes(head), { timeoutMs: 6000 });
  const text = r.data.toString('latin1');
  return { status: statuses(r.data)[0], body: text.slice(text.indexOf('\r\n\r\n') + 4), up: t.rec.requests.length > before ? t.rec.requests[t.rec.requests.length - 1] : undefined };
}

const header = (up: RecordedRequest | undefined, name: string) => (up === undefined ? undefined : t.rec.header(up, name)?.toString('latin1'));

describe(`Kong proxy cases (${INTEGRATION})`, () => {
  it(`${INTEGRATION}:187/326 no route: 404 with Kong's message`, async () => {
    const { status, body, up } = await send('/post', 'inexistent.com', '1.1', 'DELETE');
    expect(status).toBe(404);
    expect(body).toContain('no Route matched with those values');
    expect(up).toBeUndefined();
  });

  it(`${INTEGRATION}:286 a route without a service (and no plugin answering): 503 with Kong's message`, async () => {
    const { status, body } = await send('/', 'serviceless-route-http.test');
    expect(status).toBe(503);
    expect(body).toContain('no Service found with those values');
  });

  // Kong routes an HTTP/1.0 request and answers an HTTP/1.1 one without Host with 400. uWS
  // handles both itself (README "Known limitations": no answer, or its own HTML page): what holds
  // on every build is that neither reaches an upstream.
  it(`${INTEGRATION}:365 HTTP/1.0 without a Host: uWS's limitation, nothing goes upstream`, async () => {
    const { status, up } = await send('/get', null, '1.0');
    expect([undefined, 505]).toContain(status);
    expect(up).toBeUndefined();
  });

  it(`${INTEGRATION}:389 HTTP/1.1 without a Host: no answer or 400, nothing goes upstream`, async () => {
    const { status, up } = await send('/get', null);
    expect([undefined, 400]).toContain(status);
    expect(up).toBeUndefined();
  });

  it(`${INTEGRATION}:893 preserves the query string`, async () => {
    const { up } = await send('/get?foo=bar&hello=world', 'mock_upstream');
    expect(up?.target.toString('latin1')).toBe('/get?foo=bar&hello=world');
  });

  it(`${INTEGRATION}:912 keeps a bare "?" (an empty query string)`, async () => {
    const { up } = await send('/request?', 'mock_upstream');
    expect(up?.target.toString('latin1')).toBe('/request?');
  });

  it(`${INTEGRATION}:926 passes a query string with an empty value`, async () => {
    const { up } = await send('/get?hello', 'mock_upstream');
    expect(up?.target.toString('latin1')).toBe('/get?hello');
  });

  for (const [line, path] of [[965, '/foo/a/../bar'], [981, '/foo//bar'], [997, '/foo/./bar']] as const) {
    it(`${INTEGRATION}:${line} matches ${path} normalised; X-Forwarded-Path is the path as sent`, async () => {
      const { status, up } = await send(path, 'localhost');
      expect(status).toBe(200);
      expect(up?.target.toString('latin1')).toBe('/'); // foo-bar, strip_path
      expect(header(up, 'x-forwarded-path')).toBe(path);
    });
  }

  it(`${INTEGRATION}:1013 matches a percent-encoded path; X-Forwarded-Path is the path as sent`, async () => {
    const { up } = await send('/h%65llo', 'localhost');
    expect(up?.target.toString('latin1')).toBe('/');
    expect(header(up, 'x-forwarded-path')).toBe('/h%65llo');
  });

  for (const [line, path, want] of [
    [1029, '/h%65llo/anything/a/../b', '/anything/b'],
    [1045, '/anything/./a/../wor%6cd/a/../b', '/anything/world/b'],
    [1061, '/anything/world/cat%20and%20dog', '/anything/world/cat%20and%20dog'],
  ] as const) {
    it(`${INTEGRATION}:${line} sends the normalised path upstream (${path})`, async () => {
      const { up } = await send(path, 'localhost');
      expect(up?.target.toString('latin1')).toBe(want);
    });
  }

  it(`${INTEGRATION}:1172/1185 preserve_host off: the upstream's host and port`, async () => {
    const { up } = await send('/get', 'discarded.com');
    expect(up?.target.toString('latin1')).toBe('/request/get');
    expect(header(up, 'host')).toBe(`127.0.0.1:${t.rec.port}`);
  });

  for (const [line, path, host] of [[1200, '/', 'preserved.com'], [1224, '/get', 'preserved.com:123'], [1236, '/get', 'preserved.com']] as const) {
    it(`${INTEGRATION}:${line} preserve_host on: the request's Host (${host})`, async () => {
      const { up } = await send(path, host);
      expect(up?.target.toString('latin1')).toBe(path === '/' ? '/request' : '/request/get');
      expect(header(up, 'host')).toBe(host);
    });
  }
});
