/**
 * Upstream response headers reach the client as sent, minus hop-by-hop ones and those a plugin
 * removes: unusual spacing, repeated names, hop-by-hop headers between others, and a removal by
 * response-transformer, against a raw upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';

const HEAD = [
  'HTTP/1.1 200 OK',
  'X-A: 1',
  'X-B:2  ', // no space after the colon, trailing spaces
  'Connection: keep-alive', // hop-by-hop: dropped, splits the run
  'X-C: \t3',
  'Set-Cookie: a=1',
  'Set-Cookie: b=2',
  'Keep-Alive: timeout=5', // hop-by-hop
  'X-Secret-Upstream: s',
  'X-D: four four',
  'Content-Type: text/plain',
  'Content-Length: 2',
].join('\r\n');

let upstream: net.Server;
let gw: GatewayProcess;

beforeAll(async () => {
  upstream = net.createServer((sock) => {
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        sock.write(`${HEAD}\r\n\r\nok`);
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const port = (upstream.address() as net.AddressInfo).port;
  gw = await startGateway(`
_format_version: "3.0"
services:
  - name: raw
    url: http://127.0.0.1:${port}
    routes:
      - name: plain
        paths: [/plain]
      - name: trimmed
        paths: [/trimmed]
        plugins:
          - name: response-transformer
            config:
              remove:
                headers: [x-secret-upstream, x-a]
`);
});

afterAll(async () => {
  await gw?.stop();
  await new Promise((r) => upstream?.close(r));
});

function get(path: string): Promise<{ raw: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(`${gw.url}${path}`, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ raw: res.rawHeaders, body }));
    }).on('error', reject);
  });
}

/** [name, value] pairs of the upstream's own headers (not the gateway's additions). */
function upstreamPairs(raw: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!.toLowerCase();
    if (n === 'via' || n.startsWith('x-sluice-') || n === 'date' || n === 'uwebsockets' || n === 'content-length' || n === 'x-request-id') continue;
    out.push([raw[i]!, raw[i + 1]!]);
  }
  return out;
}

describe('upstream response headers', () => {
  it('arrive as sent (values trimmed, repeats kept, order kept), hop-by-hop ones dropped', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await get('/plain');
      expect(r.body).toBe('ok');
      expect(upstreamPairs(r.raw)).toEqual([
        ['X-A', '1'],
        ['X-B', '2'],
        ['X-C', '3'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
        ['X-Secret-Upstream', 's'],
        ['X-D', 'four four'],
        ['Content-Type', 'text/plain'],
      ]);
      expect(r.raw.filter((_, k) => k % 2 === 0).map((n) => n.toLowerCase())).not.toContain('connection');
      expect(r.raw.filter((_, k) => k % 2 === 0).map((n) => n.toLowerCase())).not.toContain('keep-alive');
    }
  });

  it('headers a plugin removes go, in the middle of a run and at its start', async () => {
    const r = await get('/trimmed');
    expect(r.body).toBe('ok');
    expect(upstreamPairs(r.raw)).toEqual([
      ['X-B', '2'],
      ['X-C', '3'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['X-D', 'four four'],
      ['Content-Type', 'text/plain'],
    ]);
  });
});
