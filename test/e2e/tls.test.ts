import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { startGateway, tempDir, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const dir = tempDir();
/** A self-signed certificate for `cn` made with openssl (cert PEM, key PEM). */
function selfSigned(cn: string, tag: string): { cert: string; key: string } {
  const key = join(dir, `${tag}.key`);
  const cert = join(dir, `${tag}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

const indent = (pem: string, n: number) => pem.trim().split('\n').join('\n' + ' '.repeat(n));

let up: Upstream;
let gw: GatewayProcess;
const a1 = selfSigned('a.test', 'a1');
const a2 = selfSigned('a.test', 'a2');
const b = selfSigned('b.test', 'b');

function yaml(aCert: { cert: string; key: string }): string {
  return `_format_version: "3.0"
services:
  - name: svc
    url: ${up.url}
    routes:
      - name: secure
        paths: [/secure]
        protocols: [https]
      - name: b-only
        paths: [/b]
        snis: [b.test]
        protocols: [https]
      - name: both
        paths: [/both]
certificates:
  - cert: |
      ${indent(aCert.cert, 6)}
    key: |
      ${indent(aCert.key, 6)}
    snis: [a.test]
  - cert: |
      ${indent(b.cert, 6)}
    key: |
      ${indent(b.key, 6)}
    snis: [b.test]
`;
}

function get(servername: string, path: string, ca: string): Promise<{ status: number; body: string; cn: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: gw.tlsPort, path, servername, ca, headers: { host: servername }, agent: false }, (res) => {
      const cert = (res.socket as TLSSocket).getPeerCertificate();
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, cn: String(cert.subject?.CN), serial: cert.serialNumber }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  up = await startUpstream();
  gw = await startGateway(yaml(a1));
});
afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

describe('TLS listener', () => {
  it('serves each SNI its own certificate, and https routes over TLS', async () => {
    const ra = await get('a.test', '/secure/x', a1.cert);
    expect(ra.status).toBe(200);
    expect(ra.cn).toBe('a.test');
    expect(JSON.parse(ra.body).headers['x-forwarded-proto']).toBe('https');
    expect(JSON.parse(ra.body).headers['x-forwarded-port']).toBe(String(gw.tlsPort));
    const rb = await get('b.test', '/both', b.cert);
    expect(rb.status).toBe(200);
    expect(rb.cn).toBe('b.test');
  });

  it('answers an https-only route over plain http with 426', async () => {
    const r = await fetch(`${gw.url}/secure/x`);
    expect(r.status).toBe(426);
  });

  it('matches routes by SNI', async () => {
    expect((await get('b.test', '/b', b.cert)).status).toBe(200);
    expect((await get('a.test', '/b', a1.cert)).status).toBe(404);
  });

  it('picks up a rotated certificate on reload, without a restart', async () => {
    const before = await get('a.test', '/both', a1.cert);
    writeFileSync(gw.configPath, yaml(a2));
    const until = Date.now() + 15000;
    let serial = before.serial;
    while (serial === before.serial && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      serial = await get('a.test', '/both', a2.cert).then((r) => r.serial, () => before.serial);
    }
    expect(serial).not.toBe(before.serial);
    expect((await get('b.test', '/both', b.cert)).status).toBe(200);
  });

  it('never shows certificate keys in /config', async () => {
    const text = await (await fetch(`${gw.admin}/config`)).text();
    expect(text).not.toContain('PRIVATE KEY');
  });
});
