/**
 * Issue 18, items 12 and 13: request methods, and what uWebSockets.js answers by itself. Raw
 * bytes on a socket to the real gateway in front of a recording upstream; the expectations depend
 * on the uWS build this runtime loads (the gateway under test runs on the same Node, so the same
 * build), as measured on a bare uWS app and listed in README "Known limitations":
 *
 *   - uWS 20.30 hands Sluice only GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH; any other
 *     method of printable ASCII gets the connection closed with no answer, and a method holding a
 *     byte >= 0x80 or a control character gets no answer at all;
 *   - uWS 20.57 hands Sluice any method of bytes 0x21-0x7E (even none), and answers a method
 *     holding any other byte with its own HTML 505.
 *
 * Where Sluice sees the request it answers as Kong (nginx) does: methods are upper-case letters,
 * `_` and `-` (anything else: 400, connection closed), CONNECT gets 405, the rest is proxied
 * with the method byte for byte. No response carries uWS's `uWebSockets: 20` header.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { bytes, rawExchange, startRecorder, type Recorder } from '../helpers/raw.js';
import { runtimeInfo } from '../../src/uws/load.js';

const UWS = runtimeInfo().uws;
const ANY_METHOD = UWS === '20.57.0';

let rec: Recorder;
let gw: GatewayProcess;

beforeAll(async () => {
  rec = await startRecorder();
  gw = await startGateway(`
_format_version: "3.0"
services:
  - name: s
    url: ${rec.url}/base
    routes:
      - name: api
        paths: [/api]
      - name: purge
        paths: [/purge]
        methods: [PURGE]
`);
});

afterAll(async () => {
  await gw?.stop();
  await rec?.close();
});

/** The whole response is in: a head and as many body bytes as its Content-Length says. */
function complete(b: Buffer): boolean {
  const end = b.indexOf('\r\n\r\n');
  if (end === -1) return false;
  const m = /\r\ncontent-length: (\d+)\r\n/i.exec(b.subarray(0, end + 2).toString('latin1'));
  return m !== null && b.length >= end + 4 + Number(m[1]);
}

/** Sends `raw` on a new connection; returns at close, at `timeoutMs`, or (`keepAlive`) once the response is complete. */
async function exchange(raw: string, timeoutMs = 3000, keepAlive = true) {
  const before = rec.requests.length;
  const r = await rawExchange(gw.proxyPort, bytes(raw), { timeoutMs, until: keepAlive ? complete : undefined });
  // Let anything in flight reach the recorder before looking.
  await new Promise((res) => setTimeout(res, 100));
  return { ...r, text: r.data.toString('latin1'), upstream: rec.requests.slice(before) };
}

const req = (method: string) => `${method} /api/x HTTP/1.1\r\nHost: a\r\n\r\n`;

/** A gateway-made JSON error, exactly: status line, Sluice's headers, uWS's Date and length, the body. */
function jsonError(status: string, message: string, close: boolean): RegExp {
  const body = JSON.stringify(message).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^HTTP/1\\.1 ${status}\\r\\ncontent-type: application/json; charset=utf-8\\r\\nx-sluice-response-latency: \\d+\\r\\nvia: 1\\.1 sluice\\r\\n` +
      `${close ? 'Connection: close\\r\\n' : ''}Date: [^\\r]+ GMT\\r\\nContent-Length: \\d+\\r\\n\\r\\n\\{"message":${body},"request_id":"[0-9a-f]+"\\}$`,
  );
}

const PROXIED = /^HTTP\/1\.1 200 OK\r\ncontent-type: text\/plain\r\nvia: 1\.1 sluice\r\nx-sluice-upstream-latency: \d+\r\nx-sluice-proxy-latency: \d+\r\nDate: [^\r]+ GMT\r\nContent-Length: 2\r\n\r\nok$/;
const BAD_METHOD = jsonError('400 Bad Request', 'Bad request: invalid method (methods are upper-case letters, "_" and "-")', true);

describe(`methods on uWS ${UWS}`, () => {
  it('runs on a known build', () => {
    expect(['20.30.0', '20.57.0']).toContain(UWS);
  });

  it(`start-up ${ANY_METHOD ? 'does not warn about' : 'warns, at FILE:LINE:COL, about'} a route's PURGE`, () => {
    const warned = gw.logs().filter((l) => String(l.msg).includes('PURGE'));
    if (ANY_METHOD) expect(warned).toEqual([]);
    else {
      expect(warned.map((l) => l.msg)).toEqual([
        `${gw.configPath}:11:19 warning: services[s].routes[purge].methods[0] PURGE: uWebSockets.js ${UWS} (this build) closes the connection for this method before Sluice sees the request, so such requests get no answer; run Node 22/24 on glibc >= 2.38 (uWS 20.57) to serve it (README "Known limitations")`,
      ]);
      expect(warned[0]!.level).toBe('warn');
    }
  });

  it(`a PURGE route: ${ANY_METHOD ? 'proxied' : 'uWS 20.30 closes the connection'}`, async () => {
    const r = await exchange('PURGE /purge/x HTTP/1.1\r\nHost: a\r\n\r\n');
    if (ANY_METHOD) {
      expect(r.text).toMatch(PROXIED);
      expect(r.upstream.map((u) => `${u.method} ${u.target.toString('latin1')}`)).toEqual(['PURGE /base/x']);
    } else {
      expect(r.data).toHaveLength(0);
      expect(r.closed).toBe(true);
      expect(r.upstream).toHaveLength(0);
    }
  });

  for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
    it(`${m}: proxied with the method as sent`, async () => {
      const r = await exchange(req(m));
      expect(r.text).toMatch(PROXIED);
      expect(r.upstream.map((u) => u.method)).toEqual([m]);
    });
  }

  it('HEAD: proxied, no body', async () => {
    const r = await exchange(req('HEAD'), 1000);
    expect(r.text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n$/);
    expect(r.upstream.map((u) => u.method)).toEqual(['HEAD']);
  });

  it('CONNECT (origin-form; uWS takes no other form): 405 JSON, nothing upstream, on both builds', async () => {
    const r = await exchange(req('CONNECT'));
    expect(r.text).toMatch(jsonError('405 Method Not Allowed', 'Method not allowed: CONNECT (the gateway does not open tunnels)', false));
    expect(r.upstream).toHaveLength(0);
  });

  it('TRACE: 405 JSON as Kong\'s nginx answers it (cross-site tracing), nothing upstream, on both builds', async () => {
    const r = await exchange(req('TRACE'));
    expect(r.text).toMatch(jsonError('405 Method Not Allowed', 'Method not allowed: TRACE', false));
    expect(r.upstream).toHaveLength(0);
  });

  // Methods nginx accepts (upper-case letters, "_", "-") that are not among the nine.
  for (const m of ['PURGE', 'LINK', 'PROPFIND', 'FOO', 'M-SEARCH', 'X_Y', 'X'.repeat(300)]) {
    const name = m.length > 20 ? `a ${m.length}-letter method` : m;
    it(`${name}: ${ANY_METHOD ? 'proxied as sent' : 'uWS 20.30 closes the connection, no answer, nothing upstream'}`, async () => {
      const r = await exchange(req(m));
      if (ANY_METHOD) {
        expect(r.text).toMatch(PROXIED);
        expect(r.upstream.map((u) => u.method)).toEqual([m]);
      } else {
        expect(r.data).toHaveLength(0);
        expect(r.closed).toBe(true);
        expect(r.upstream).toHaveLength(0);
      }
    });
  }

  // Methods nginx refuses with 400: lower case, digits, other token and non-token characters, none.
  for (const [name, m] of [['get', 'get'], ['Get', 'Get'], ['purge', 'purge'], ['M2', 'M2'], ['G!T', 'G!T'], ['G(T', 'G(T'], ['G/T', 'G/T'], ['G:T', 'G:T'], ['G\\x7fT (DEL)', 'G\\x7fT'], ['an empty method', '']] as const) {
    it(`${name}: ${ANY_METHOD ? '400 JSON, Connection: close, closed' : 'uWS 20.30 closes the connection, no answer'}; nothing upstream`, async () => {
      const r = await exchange(req(m), 3000, false);
      if (ANY_METHOD) expect(r.text).toMatch(BAD_METHOD);
      else expect(r.data).toHaveLength(0);
      expect(r.closed).toBe(true);
      expect(r.upstream).toHaveLength(0);
    });
  }

  it('a bad method with a request pipelined behind it: closed, nothing upstream (at most the 400)', async () => {
    // Sluice answers a bad method from the next event-loop turn, as a framing error: uWS, seeing
    // another request of the same read behind an unanswered one, may close first. Nothing
    // behind a bad method is served (nginx closes after a bad request line too).
    const r = await exchange(req('get') + req('GET'), 3000, false);
    if (r.data.length > 0) expect(r.text).toMatch(BAD_METHOD);
    expect(r.closed).toBe(true);
    expect(r.upstream).toHaveLength(0);
  });

  it(`a method longer than the header limit: ${ANY_METHOD ? '431 JSON' : 'closed by uWS 20.30'}, nothing upstream`, async () => {
    const r = await exchange(req('X'.repeat(20000)));
    if (ANY_METHOD) expect(r.text).toMatch(jsonError('431 Request Header Fields Too Large', 'Request header fields too large', false));
    else {
      expect(r.data).toHaveLength(0);
      expect(r.closed).toBe(true);
    }
    expect(r.upstream).toHaveLength(0);
  });

  // Bytes uWS itself refuses in the request line: Sluice never sees these requests.
  for (const [name, m] of [['a method with a byte >= 0x80', 'G\\xe9T'], ['a method with a control character', 'G\\x01T'], ['a method with a TAB', 'G\\tT']] as const) {
    it(`${name}: ${ANY_METHOD ? "uWS 20.57's own HTML 505, closed" : 'no answer from uWS 20.30'}; nothing upstream`, async () => {
      const r = await exchange(req(m), 1500);
      if (ANY_METHOD) {
        expect(r.text).toBe('HTTP/1.1 505 HTTP Version Not Supported\r\nConnection: close\r\n\r\n<h1>HTTP Version Not Supported</h1><p>This server does not support HTTP/1.0.</p><hr><i>uWebSockets/20 Server</i>');
        expect(r.closed).toBe(true);
      } else {
        expect(r.data).toHaveLength(0);
      }
      expect(r.upstream).toHaveLength(0);
    });
  }
});

describe(`what uWS ${UWS} answers by itself (README "Known limitations")`, () => {
  it("no response of Sluice's carries uWS's `uWebSockets: 20` header", async () => {
    for (const raw of [req('GET'), req('CONNECT'), 'GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n']) {
      const r = await exchange(raw);
      expect(r.text).toMatch(/^HTTP\/1\.1 \d{3} /);
      expect(r.text).not.toMatch(/uWebSockets/i);
    }
  });

  it(`HTTP/1.0: ${ANY_METHOD ? "uWS's HTML 505" : 'no answer from uWS 20.30'}`, async () => {
    const r = await exchange('GET /api/x HTTP/1.0\r\nHost: a\r\n\r\n', 1500);
    if (ANY_METHOD) expect(r.text).toBe('HTTP/1.1 505 HTTP Version Not Supported\r\nConnection: close\r\n\r\n<h1>HTTP Version Not Supported</h1><p>This server does not support HTTP/1.0.</p><hr><i>uWebSockets/20 Server</i>');
    else expect(r.data).toHaveLength(0);
    expect(r.upstream).toHaveLength(0);
  });

  it(`two Host headers: ${ANY_METHOD ? "uWS's HTML 400" : "Sluice's JSON 400"}`, async () => {
    const r = await exchange('GET /api/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
    if (ANY_METHOD) expect(r.text).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n<h1>Bad Request</h1><hr><i>uWebSockets/20 Server</i>');
    else expect(r.text).toMatch(jsonError('400 Bad Request', 'Bad request: more than one Host header', false));
    expect(r.upstream).toHaveLength(0);
  });

  it(`no Host header: ${ANY_METHOD ? "uWS's HTML 400" : 'no answer from uWS 20.30'}`, async () => {
    const r = await exchange('GET /api/x HTTP/1.1\r\n\r\n', 1500);
    if (ANY_METHOD) expect(r.text).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n<h1>Bad Request</h1><hr><i>uWebSockets/20 Server</i>');
    else expect(r.data).toHaveLength(0);
    expect(r.upstream).toHaveLength(0);
  });

  it('the gateway keeps serving', async () => {
    const r = await exchange(req('GET'));
    expect(r.text).toMatch(PROXIED);
  });
});
