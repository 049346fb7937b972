/**
 * The https redirect is one code path for HTTP requests and WebSocket upgrades (proxy/admit.ts):
 * the two used to drift (one read the Host header, the other the parsed host). For a route with
 * `protocols: [https]` and `https_redirect_status_code`, a plain GET and an upgrade request with
 * the same target and Host, sent as raw bytes over plain HTTP, get the same status and Location.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { rawExchange } from '../helpers/raw.js';

let gw: GatewayProcess;

beforeAll(async () => {
  // The upstream is never contacted: every request here is answered by admission.
  gw = await startGateway(`
_format_version: "3.0"
services:
  - name: unused
    url: http://127.0.0.1:1
    routes:
      - name: https-redirect
        paths: [/redirect]
        protocols: [https]
        https_redirect_status_code: 308
`);
});

afterAll(async () => {
  await gw?.stop();
});

interface Answer {
  status: number;
  location: string | undefined;
}

const UPGRADE = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';

/** One request as raw bytes (the Host and target exactly as given); its status and Location. */
async function send(target: string, hostLines: string, upgrade: boolean): Promise<Answer> {
  const head = `GET ${target} HTTP/1.1\r\n${hostLines}${upgrade ? UPGRADE : ''}Connection: ${upgrade ? 'Upgrade' : 'close'}\r\n\r\n`;
  const r = await rawExchange(gw.proxyPort, Buffer.from(head, 'latin1'), { until: (b) => b.includes('\r\n\r\n') });
  const text = r.data.toString('latin1');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  const location = /\r\nlocation: ([^\r]*)\r\n/i.exec(text)?.[1];
  return { status, location };
}

async function both(target: string, hostLines: string): Promise<{ http: Answer; ws: Answer }> {
  return { http: await send(target, hostLines, false), ws: await send(target, hostLines, true) };
}

describe('https redirect: HTTP and WebSocket upgrade alike', () => {
  // The Location is https:// + the Host without its port + the target as sent.
  const exact: Array<[string, string, string, string]> = [
    ['a Host with a port', '/redirect/x?q=1', 'Host: gw.example.com:8000\r\n', 'https://gw.example.com/redirect/x?q=1'],
    ['a Host without a port', '/redirect/x?q=1', 'Host: gw.example.com\r\n', 'https://gw.example.com/redirect/x?q=1'],
    ['an IPv6 literal with a port', '/redirect/x', 'Host: [::1]:8000\r\n', 'https://[::1]/redirect/x'],
    ['an upper-case Host, a percent-encoded target', '/redirect/A%20b?x=%2F', 'Host: GW.Example.COM:8000\r\n', 'https://GW.Example.COM/redirect/A%20b?x=%2F'],
  ];
  for (const [name, target, host, location] of exact) {
    it(name, async () => {
      const r = await both(target, host);
      expect(r.http).toEqual({ status: 308, location });
      expect(r.ws).toEqual(r.http);
    });
  }

  // Unusual requests: whatever the answer is, the two paths give the same one.
  const unusual: Array<[string, string, string]> = [
    // uWS does not route a target that does not start with '/': no answer on either path.
    ['an absolute-form target', 'http://other.example:9000/redirect/x?q=1', 'Host: gw.example.com:8000\r\n'],
    ['a Host with a userinfo', '/redirect/x', 'Host: user@gw.example.com:8000\r\n'],
    ['no Host', '/redirect/x', ''],
    ['two Hosts (400)', '/redirect/x', 'Host: a.example\r\nHost: b.example\r\n'],
  ];
  // A Host nginx refuses (no name, a path separator, `..`): JSON 400 on both paths, no redirect
  // to `https:///redirect/x` (which a browser reads as the host `redirect`).
  for (const [name, host] of [['an empty Host', 'Host: \r\n'], ['a Host with only a port', 'Host: :8000\r\n'], ['a Host with a slash', 'Host: evil.example/x\r\n'], ['a Host with ..', 'Host: a..b\r\n']] as const) {
    it(`${name}: 400, no redirect`, async () => {
      const r = await both('/redirect/x', host);
      expect(r.http.status).toBe(400);
      expect(r.http.location).toBeUndefined();
      expect(r.ws).toEqual(r.http);
    });
  }

  for (const [name, target, host] of unusual) {
    it(name, async () => {
      const r = await both(target, host);
      expect(r.ws).toEqual(r.http);
    });
  }
});
