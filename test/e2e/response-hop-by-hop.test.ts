/**
 * Issue 18, item 9: headers named in the upstream response's `Connection` header are hop-by-hop
 * (RFC 9110 §7.6.1) and never reach the client, as the tokens of the client's own `Connection`
 * never reach the upstream. A raw upstream on 127.0.0.1 writes the response bytes; the client is a
 * raw socket, so nothing normalises what the gateway sent. Both upstream clients.
 */
import { describe, expect, it } from 'vitest';
import type { GatewayProcess } from '../helpers/gateway.js';
import { bytes, rawExchange, statuses } from '../helpers/raw.js';
import { useRecordedGateways } from '../helpers/recorded-gateway.js';


const config = (url: string) => `
_format_version: "3.0"
services:
  - name: s
    url: ${url}
    routes:
      - name: api
        paths: [/]
`;

const fx = useRecordedGateways(config, (r, sock) => {
  switch (r.target.toString('latin1')) {
    case '/listed':
      sock.write('HTTP/1.1 200 OK\r\nConnection: close, X-Foo\r\nX-Foo: secret\r\nx-bar: kept\r\ncontent-length: 2\r\n\r\nok');
      return;
    case '/short':
      // A short token (as long as `close`) and a second Connection field line.
      sock.write('HTTP/1.1 200 OK\r\nconnection: keep-alive\r\nCONNECTION: x-a\r\nX-A: 1\r\nx-keep: 2\r\ncontent-length: 2\r\n\r\nok');
      return;
    case '/chunked':
      sock.write('HTTP/1.1 200 OK\r\nConnection: X-Trace-Hop\r\nx-trace-hop: t\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
      return;
    default:
      sock.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  }
});
const gateways = fx.gateways;

/** The answer is complete when its head and a 2-byte body (`ok`) are in. */
const complete = (b: Buffer) => {
  const end = b.indexOf('\r\n\r\n');
  return end !== -1 && b.length >= end + 4 + 2;
};

async function exchange(gw: GatewayProcess, path: string, connection = 'close', extra = '') {
  const before = fx.rec.requests.length;
  const req = `GET ${path} HTTP/1.1\r\nHost: a\r\n${extra}Connection: ${connection}\r\n\r\n`;
  const r = await rawExchange(gw.proxyPort, bytes(req), { timeoutMs: 6000, until: complete });
  const text = r.data.toString('latin1');
  return { codes: statuses(r.data), head: text.slice(0, text.indexOf('\r\n\r\n') + 2), upstream: fx.rec.requests.slice(before) };
}

for (const client of ['h1', 'undici'] as const) {
  describe(`Connection-listed response headers (${client} upstream client)`, () => {
    it('a header the upstream lists in Connection is dropped; the others pass', async () => {
      const r = await exchange(gateways[client]!, '/listed');
      expect(r.codes).toEqual([200]);
      expect(r.head).not.toMatch(/^x-foo:/im);
      expect(r.head).not.toMatch(/secret/);
      expect(r.head).toMatch(/^x-bar: kept\r$/im);
    });

    it('short tokens and several Connection lines count too', async () => {
      const r = await exchange(gateways[client]!, '/short');
      expect(r.codes).toEqual([200]);
      expect(r.head).not.toMatch(/^x-a:/im);
      expect(r.head).toMatch(/^x-keep: 2\r$/im);
    });

    it('on a chunked response as well', async () => {
      const r = await exchange(gateways[client]!, '/chunked');
      expect(r.codes).toEqual([200]);
      expect(r.head).not.toMatch(/^x-trace-hop:/im);
    });

    it('the client side: a short token of the request Connection does not go upstream', async () => {
      const r = await exchange(gateways[client]!, '/plain', 'X-Hop', 'X-Hop: 1\r\nX-End: 2\r\n');
      expect(r.codes).toEqual([200]);
      expect(r.upstream).toHaveLength(1);
      const names = r.upstream[0]!.headers.map(([n]) => n);
      expect(names).not.toContain('x-hop');
      expect(names).toContain('x-end');
    });
  });
}
