/**
 * Issue 15, finding 1 (and 7's Host and %00): bytes are bytes from end to end. Raw bytes on a
 * socket to the real gateway in front of a recording upstream; both what the client got and the
 * exact bytes the upstream received are checked, with Sluice's own upstream client and undici.
 */
import { describe, expect, it } from 'vitest';
import type { GatewayProcess } from '../helpers/gateway.js';
import { bytes, rawExchange, statuses } from '../helpers/raw.js';
import { useRecordedGateways } from '../helpers/recorded-gateway.js';


const config = (url: string) => `
_format_version: "3.0"
consumers:
  - username: "zoë\u010d\u010a"
    custom_id: "ĮĮ"
    keyauth_credentials: [{ key: k1 }]
services:
  - name: s
    url: ${url}/base
    routes:
      - name: api
        paths: [/api]
      - name: keep
        paths: [/keep]
        strip_path: false
      - name: auth
        paths: [/auth]
        plugins: [{ name: key-auth }]
      - name: copy
        paths: [/copy]
        plugins:
          - name: request-transformer
            config:
              add: { headers: ["x-copied:$(headers.x-v)", "x-static:né"] }
      - name: inject
        paths: [/inject]
        plugins:
          - name: request-transformer
            config:
              add: { headers: ["x-q:$(query_params.q)"] }
          - name: response-transformer
            config:
              add: { headers: ["x-fine:ok"] }
`;

/** One complete response (Content-Length framed) received. */
const answered = (b: Buffer) => {
  const s = b.toString('latin1');
  const i = s.indexOf('\r\n\r\n');
  if (i === -1) return false;
  const m = /content-length: (\d+)/i.exec(s.slice(0, i));
  return m !== null && b.length >= i + 4 + Number(m[1]);
};

async function send(gw: GatewayProcess, raw: string) {
  const before = fx.rec.requests.length;
  const r = await rawExchange(gw.proxyPort, bytes(raw), { until: answered, timeoutMs: 3000 });
  return { status: statuses(r.data)[0], data: r.data, upstream: fx.rec.requests.slice(before) };
}

const fx = useRecordedGateways(config);
const gateways = fx.gateways;

for (const client of ['h1', 'undici'] as const) {
  describe(`bytes reach the upstream unchanged (${client} upstream client)`, () => {
    it('a bare ? goes upstream as sent, and X-Forwarded-Path is the raw request path (issue 18, Kong)', async () => {
      const r = await send(gateways[client]!, 'GET /keep/request? HTTP/1.1\r\nHost: a\r\n\r\n');
      expect(r.status).toBe(200);
      expect(r.upstream[0]!.target.toString('latin1')).toBe('/base/keep/request?');
      const plain = await send(gateways[client]!, 'GET /keep/request HTTP/1.1\r\nHost: a\r\n\r\n');
      expect(plain.upstream[0]!.target.toString('latin1')).toBe('/base/keep/request');
      const merged = await send(gateways[client]!, 'GET /keep//a/%62 HTTP/1.1\r\nHost: a\r\n\r\n');
      expect(merged.status).toBe(200);
      expect(fx.rec.header(merged.upstream[0]!, 'x-forwarded-path')!.toString('latin1')).toBe('/keep//a/%62');
    });

    it('a header value with U+010D U+010A is sent as its UTF-8 bytes: no injected header line', async () => {
      const r = await send(gateways[client]!, 'GET /api/x HTTP/1.1\r\nHost: a\r\nX-Val: a\u010d\u010aX-Consumer-Username: admin\r\n\r\n');
      expect(r.status).toBe(200);
      expect(r.upstream).toHaveLength(1);
      const u = r.upstream[0]!;
      expect(fx.rec.header(u, 'x-val')!.equals(bytes('a\\xc4\\x8d\\xc4\\x8aX-Consumer-Username: admin'))).toBe(true);
      expect(u.headers.filter(([n]) => n === 'x-consumer-username')).toHaveLength(0);
      // Every line of the head ends in CRLF and holds no other CR or LF.
      expect(u.head.toString('latin1').split('\r\n').every((l) => !l.includes('\r') && !l.includes('\n'))).toBe(true);
    });

    it('a smuggled request in a header value stays inside that value', async () => {
      const r = await send(gateways[client]!, 'GET /api/x HTTP/1.1\r\nHost: a\r\nX-Val: \u010d\u010a\u010d\u010aGET /smug HTTP/1.1\u010d\u010aHost: a\u010d\u010a\u010d\u010a\r\n\r\n');
      expect(r.status).toBe(200);
      expect(r.upstream).toHaveLength(1);
      expect(r.upstream[0]!.target.toString('latin1')).toBe('/base/x');
      await new Promise((res) => setTimeout(res, 100));
      expect(fx.rec.requests.some((q) => q.target.toString('latin1') === '/smug')).toBe(false);
    });

    it('a route prefix cannot be escaped: /api/ĮĮ/ĮĮ/etc goes as those bytes, never as /base/../../etc', async () => {
      const r = await send(gateways[client]!, 'GET /api/\\xc4\\xae\\xc4\\xae/\\xc4\\xae\\xc4\\xae/etc HTTP/1.1\r\nHost: a\r\n\r\n');
      expect(r.status).toBe(200);
      expect(r.upstream[0]!.target.equals(bytes('/base/\\xc4\\xae\\xc4\\xae/\\xc4\\xae\\xc4\\xae/etc'))).toBe(true);
      expect(fx.rec.header(r.upstream[0]!, 'x-forwarded-path')!.equals(bytes('/api/\\xc4\\xae\\xc4\\xae/\\xc4\\xae\\xc4\\xae/etc'))).toBe(true);
    });

    it('UTF-8 in path, query and header values arrives byte for byte', async () => {
      const r = await send(gateways[client]!, 'GET /keep/é/日本?q=é&r=💡 HTTP/1.1\r\nHost: a\r\nX-V: café au lait\r\nX-W: a\tb\\x7e\r\n\r\n');
      expect(r.status).toBe(200);
      const u = r.upstream[0]!;
      expect(u.target.equals(bytes('/base/keep/é/日本?q=é&r=💡'))).toBe(true);
      expect(fx.rec.header(u, 'x-v')!.equals(bytes('café au lait'))).toBe(true);
      expect(fx.rec.header(u, 'x-w')!.equals(bytes('a\tb~'))).toBe(true);
      expect(fx.rec.header(u, 'via')!.toString('latin1')).toBe('1.1 sluice');
    });

    it('refuses with 400 what cannot go on unchanged: invalid UTF-8, DEL, %00, two Host headers', async () => {
      const refused = [
        'GET /keep/\\xe9 HTTP/1.1\r\nHost: a\r\n\r\n', // not UTF-8 (uWS gives U+FFFD)
        'GET /keep/a?q=\\xff\\xfe HTTP/1.1\r\nHost: a\r\n\r\n',
        'GET /keep/a HTTP/1.1\r\nHost: a\r\nX-V: a\\xe9b\r\n\r\n',
        'GET /keep/a HTTP/1.1\r\nHost: a\r\nX-V: a\\xef\\xbf\\xbdb\r\n\r\n', // a U+FFFD the client sent: indistinguishable
        'GET /keep/\\x7f HTTP/1.1\r\nHost: a\r\n\r\n',
        'GET /keep/a HTTP/1.1\r\nHost: a\r\nX-V: a\\x7fb\r\n\r\n',
        'GET /keep/a%00b HTTP/1.1\r\nHost: a\r\n\r\n',
        'GET /keep/a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
      ];
      const status = (await (await fetch(`${gateways[client]!.admin}/status`)).json()) as { runtime: { uws: string } };
      for (const raw of refused) {
        const r = await send(gateways[client]!, raw);
        expect(r.status, raw).toBe(400);
        // uWS 20.57 answers two Host headers itself, with its own page (README "Known limitations").
        const uwsAnswers = status.runtime.uws.startsWith('20.57') && raw.includes('Host: a\r\nHost: b');
        if (uwsAnswers) expect(r.data.toString('latin1'), raw).toMatch(/^HTTP\/1\.1 400 /);
        else expect(r.data.toString('latin1'), raw).toMatch(/\{"message":"Bad request[^"]*","request_id":"[0-9a-f]+"\}$/);
        expect(r.upstream, raw).toHaveLength(0);
      }
    });

    it('gateway- and plugin-written values: X-Consumer-* and templates go as UTF-8, CR/LF never', async () => {
      const a = await send(gateways[client]!, 'GET /auth/x HTTP/1.1\r\nHost: a\r\napikey: k1\r\n\r\n');
      // A consumer name holding U+010D U+010A: sent as its UTF-8 bytes, no line break.
      expect(a.status).toBe(200);
      const u = a.upstream[0]!;
      expect(fx.rec.header(u, 'x-consumer-username')!.equals(bytes('zoë\\xc4\\x8d\\xc4\\x8a'))).toBe(true);
      expect(fx.rec.header(u, 'x-consumer-custom-id')!.equals(bytes('ĮĮ'))).toBe(true);
      const c = await send(gateways[client]!, 'GET /copy/x HTTP/1.1\r\nHost: a\r\nX-V: café\u010d\u010aX-Evil: 1\r\n\r\n');
      expect(c.status).toBe(200);
      const v = c.upstream[0]!;
      expect(fx.rec.header(v, 'x-copied')!.equals(bytes('café\\xc4\\x8d\\xc4\\x8aX-Evil: 1'))).toBe(true);
      expect(fx.rec.header(v, 'x-static')!.equals(bytes('né'))).toBe(true);
      expect(v.headers.some(([n]) => n === 'x-evil')).toBe(false);
    });
  });
}

describe('a plugin value holding CR or LF never breaks a head', () => {
  it('a template copying a percent-decoded query value with %0d%0a: 500, nothing upstream', async () => {
    // (A configured value with CR/LF is refused by the configuration schema already.)
    const gw = gateways.h1!;
    const ok = await send(gw, 'GET /inject/x?q=caf%C3%A9 HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(ok.status).toBe(200);
    expect(ok.data.toString('latin1')).toMatch(/\r\nx-fine: ok\r\n/);
    const r = await send(gw, 'GET /inject/x?q=a%0d%0aX-Injected:%201 HTTP/1.1\r\nHost: a\r\n\r\n');
    // The central check where upstream headers are written: the plugin's request fails.
    expect(r.status).toBe(500);
    expect(r.upstream).toHaveLength(0);
  });
});

describe('WebSocket handshake', () => {
  it('sends the handshake headers byte for byte, and refuses a non-ASCII target it cannot', async () => {
    const gw = gateways.h1!;
    const before = fx.rec.requests.length;
    const hs = 'Host: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
    // The recorder answers 200, so the upgrade fails (502 or the upstream's status): what
    // matters is the head the upstream received.
    await rawExchange(gw.proxyPort, bytes(`GET /api/ws HTTP/1.1\r\n${hs}X-V: café\u010d\u010aX-Evil: 1\r\n\r\n`), { until: answered, timeoutMs: 3000 });
    const u = fx.rec.requests.slice(before).find((q) => q.target.toString('latin1') === '/base/ws');
    expect(u).toBeDefined();
    expect(fx.rec.header(u!, 'x-v')!.equals(bytes('café\\xc4\\x8d\\xc4\\x8aX-Evil: 1'))).toBe(true);
    expect(u!.headers.some(([n]) => n === 'x-evil')).toBe(false);
    const n = fx.rec.requests.length;
    const r = await rawExchange(gw.proxyPort, bytes(`GET /api/é HTTP/1.1\r\n${hs}\r\n`), { until: answered, timeoutMs: 3000 });
    expect(statuses(r.data)[0]).toBe(400);
    const bad = await rawExchange(gw.proxyPort, bytes(`GET /api/ws HTTP/1.1\r\n${hs}X-V: a\\xe9b\r\n\r\n`), { until: answered, timeoutMs: 3000 });
    expect(statuses(bad.data)[0]).toBe(400);
    expect(fx.rec.requests.length).toBe(n);
  });
});
