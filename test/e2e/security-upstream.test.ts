/**
 * Issue 15, finding 7 (upstream side): retries only before any byte of a response, an upstream
 * response framed by both Content-Length and chunked, a bare-LF upstream head, and response
 * header bytes passed through unchanged. Raw sockets on both sides.
 */
import { describe, expect, it } from 'vitest';
import type { GatewayProcess } from '../helpers/gateway.js';
import { bytes, rawExchange, statuses } from '../helpers/raw.js';
import { useRecordedGateways } from '../helpers/recorded-gateway.js';


const config = (url: string) => `
_format_version: "3.0"
services:
  - name: s
    url: ${url}/base
    retries: 5
    read_timeout: 4000
    routes:
      - name: api
        paths: [/api]
`;

const fx = useRecordedGateways(config, (r, sock) => {
  switch (r.target.toString('latin1')) {
    case '/base/partial':
      // A head and part of the body, then the connection dies: the request ran upstream.
      sock.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial');
      setTimeout(() => sock.destroy(), 20);
      return;
    case '/base/head-only':
      sock.end('HTTP/1.1 200 OK\r\ncontent-le');
      return;
    case '/base/cl-and-chunked':
      sock.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n3\r\n!!!\r\n0\r\n\r\n');
      return;
    case '/base/bare-lf':
      sock.write('HTTP/1.1 200 OK\ncontent-length: 2\n\nok');
      return;
    case '/base/bytes':
      sock.write(Buffer.concat([bytes('HTTP/1.1 200 OK\r\nx-v: caf\\xe9 \\xc4\\x8d!\r\ncontent-length: 2\r\n\r\nok')]));
      return;
    default:
      sock.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  }
});
const gateways = fx.gateways;

async function get(gw: GatewayProcess, path: string) {
  const before = fx.rec.requests.length;
  const r = await rawExchange(gw.proxyPort, bytes(`GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`), { timeoutMs: 6000 });
  await new Promise((res) => setTimeout(res, 100));
  return { ...r, text: r.data.toString('latin1'), codes: statuses(r.data), upstream: fx.rec.requests.slice(before) };
}

function dechunk(s: string): string {
  let out = '';
  let p = 0;
  for (;;) {
    const le = s.indexOf('\r\n', p);
    const size = parseInt(s.slice(p, le), 16);
    if (size === 0) return out;
    out += s.slice(le + 2, le + 2 + size);
    p = le + 2 + size + 2;
  }
}

for (const client of ['h1', 'undici'] as const) {
  describe(`upstream responses (${client} upstream client)`, () => {
    it('no retry once a byte of response arrived: the GET reaches the upstream once', async () => {
      const r = await get(gateways[client]!, '/api/partial');
      expect(r.upstream.map((u) => u.target.toString('latin1'))).toEqual(['/base/partial']);
      // The head was held for the first body bytes: a 502, or a cut after the partial body.
      if (r.codes.length > 0) expect([200, 502]).toContain(r.codes[0]);
      const h = await get(gateways[client]!, '/api/head-only');
      expect(h.upstream).toHaveLength(1);
      expect(h.codes).toEqual([502]);
    });

    it('Content-Length with chunked: the chunked body, never the wrong length', async () => {
      const r = await get(gateways[client]!, '/api/cl-and-chunked');
      if (r.codes[0] === 200) {
        expect(r.text).not.toMatch(/content-length: 100/i);
        const head = r.text.slice(0, r.text.indexOf('\r\n\r\n'));
        let body = r.text.slice(head.length + 4);
        if (/transfer-encoding: chunked/i.test(head)) body = dechunk(body);
        else expect(head).toMatch(/content-length: 5\r?$/im);
        expect(body).toBe('ok!!!');
      } else {
        expect(r.codes).toEqual([502]);
      }
    });

    it('a bare-LF upstream head is a 502 (not a 504 at the read timeout)', async () => {
      const r = await get(gateways[client]!, '/api/bare-lf');
      expect(r.codes).toEqual([502]);
    });

    it('upstream response header bytes reach the client unchanged', async () => {
      const r = await get(gateways[client]!, '/api/bytes');
      expect(r.codes).toEqual([200]);
      expect(r.data.includes(bytes('x-v: caf\\xe9 \\xc4\\x8d!\r\n'))).toBe(true);
    });
  });
}
