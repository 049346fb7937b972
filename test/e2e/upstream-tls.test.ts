import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { startGateway, tempDir, type GatewayProcess } from '../helpers/gateway.js';
import { loadConfigString } from '../../src/config/index.js';

/**
 * Upstream TLS as Kong 3.x has it (issue 19 item 5): client_certificate (mutual TLS),
 * tls_verify, tls_verify_depth and ca_certificates, against real node:https upstreams, with both
 * upstream clients. Every key and certificate is made here with openssl, in a temporary directory.
 */
const dir = tempDir('sluice-upstream-tls-');
const read = (f: string) => readFileSync(join(dir, f), 'utf8');
const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

function ca(tag: string): void {
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${tag}.key`, '-out', `${tag}.crt`, '-days', '2', '-subj', `/CN=${tag}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}
function leaf(tag: string, signer: string, ext: string): void {
  writeFileSync(join(dir, `${tag}.ext`), ext);
  ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${tag}.key`, '-out', `${tag}.csr`, '-subj', `/CN=${tag}`);
  ossl('x509', '-req', '-in', `${tag}.csr`, '-CA', `${signer}.crt`, '-CAkey', `${signer}.key`, '-CAcreateserial', '-out', `${tag}.crt`, '-days', '2', '-extfile', `${tag}.ext`);
}

ca('server-ca');
ca('client-ca');
ca('other-ca');
ca('self'); // the self-signed upstream's own certificate (CA:TRUE, so it can be a ca_certificates entry)
// A self-signed certificate without the IP SAN needs one too: add it to a second self-signed one.
ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'selfip.key', '-out', 'selfip.crt', '-days', '2', '-subj', '/CN=selfip',
  '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'subjectAltName=IP:127.0.0.1');
leaf('server', 'server-ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
leaf('client', 'client-ca', 'extendedKeyUsage=clientAuth\n');
leaf('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');

const ids = { serverCa: randomUUID(), selfCa: randomUUID(), otherCa: randomUUID(), client: randomUUID(), stranger: randomUUID() };

async function httpsUpstream(opts: https.ServerOptions): Promise<{ server: https.Server; port: number }> {
  const server = https.createServer(opts, (req, res) => {
    const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
    const body = JSON.stringify({ url: req.url, client: peer?.subject?.CN ?? null });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

let mtls: { server: https.Server; port: number };
let selfSigned: { server: https.Server; port: number };
/** A wss upstream that demands a client certificate and echoes messages. */
let wssUp: { server: https.Server; port: number };

const ind = (pem: string, n: number) => pem.trim().split('\n').join('\n' + ' '.repeat(n));

function yaml(): string {
  const svc = (name: string, port: number, extra: string) => `  - name: ${name}\n    url: https://127.0.0.1:${port}\n${extra}    routes:\n      - paths: [/${name}]\n`;
  return `_format_version: "3.0"
services:
${svc('mtls-none', mtls.port, `    ca_certificates: [${ids.serverCa}]\n`)}${svc('mtls-ok', mtls.port, `    ca_certificates: [${ids.serverCa}]\n    client_certificate: {id: ${ids.client}}\n`)}${svc('mtls-stranger', mtls.port, `    ca_certificates: [${ids.serverCa}]\n    client_certificate: ${ids.stranger}\n`)}${svc('mtls-depth0', mtls.port, `    ca_certificates: [${ids.serverCa}]\n    client_certificate: ${ids.client}\n    tls_verify_depth: 0\n`)}${svc('mtls-depth1', mtls.port, `    ca_certificates: [${ids.serverCa}]\n    client_certificate: ${ids.client}\n    tls_verify_depth: 1\n`)}${svc('mtls-system-cas', mtls.port, `    client_certificate: ${ids.client}\n`)}${svc('self-default', selfSigned.port, '')}${svc('self-verify', selfSigned.port, '    tls_verify: true\n')}${svc('self-wrong-ca', selfSigned.port, `    tls_verify: true\n    ca_certificates: [${ids.otherCa}]\n`)}${svc('self-ca', selfSigned.port, `    tls_verify: true\n    ca_certificates: [${ids.selfCa}]\n`)}${svc('self-noverify', selfSigned.port, '    tls_verify: false\n')}${svc('wss-ok', wssUp.port, `    ca_certificates: [${ids.serverCa}]\n    client_certificate: ${ids.client}\n`).replace('https://', 'wss://')}${svc('wss-none', wssUp.port, `    ca_certificates: [${ids.serverCa}]\n`).replace('https://', 'wss://')}certificates:
  - id: ${ids.client}
    cert: |
      ${ind(read('client.crt'), 6)}
    key: |
      ${ind(read('client.key'), 6)}
  - id: ${ids.stranger}
    cert: |
      ${ind(read('stranger.crt'), 6)}
    key: |
      ${ind(read('stranger.key'), 6)}
ca_certificates:
  - id: ${ids.serverCa}
    cert: |
      ${ind(read('server-ca.crt'), 6)}
  - id: ${ids.selfCa}
    cert: |
      ${ind(read('selfip.crt'), 6)}
  - id: ${ids.otherCa}
    cert: |
      ${ind(read('other-ca.crt'), 6)}
`;
}

beforeAll(async () => {
  mtls = await httpsUpstream({ key: read('server.key'), cert: read('server.crt'), requestCert: true, rejectUnauthorized: true, ca: read('client-ca.crt') });
  selfSigned = await httpsUpstream({ key: read('selfip.key'), cert: read('selfip.crt') });
  wssUp = await httpsUpstream({ key: read('server.key'), cert: read('server.crt'), requestCert: true, rejectUnauthorized: true, ca: read('client-ca.crt') });
  const echo = new WebSocketServer({ server: wssUp.server });
  echo.on('connection', (ws) => ws.on('message', (m, binary) => ws.send(m, { binary })));
});
afterAll(async () => {
  mtls?.server.close();
  selfSigned?.server.close();
  wssUp?.server.closeAllConnections();
  wssUp?.server.close();
});

describe.each(['h1', 'undici'])('upstream TLS with the %s client', (client) => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGateway(yaml(), { env: client === 'undici' ? { SLUICE_UPSTREAM_CLIENT: 'undici' } : { SLUICE_UPSTREAM_CLIENT: '' } });
  });
  afterAll(async () => {
    await gw?.stop();
  });
  const get = async (path: string) => {
    const r = await fetch(gw.url + path);
    return { status: r.status, body: await r.text() };
  };

  it('mutual TLS: no client certificate fails, the right one passes, a stranger fails', async () => {
    expect((await get('/mtls-none')).status).toBe(502);
    const ok = await get('/mtls-ok');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).client).toBe('client');
    expect((await get('/mtls-stranger')).status).toBe(502);
  });

  it('ca_certificates replace the system CAs: without them the private CA is not trusted', async () => {
    expect((await get('/mtls-system-cas')).status).toBe(502);
  });

  it('tls_verify_depth: a leaf signed by the CA needs depth 1', async () => {
    expect((await get('/mtls-depth0')).status).toBe(502);
    expect((await get('/mtls-depth1')).status).toBe(200);
  });

  it('a self-signed upstream: refused by default and with tls_verify: true, accepted with its CA or tls_verify: false', async () => {
    expect((await get('/self-default')).status).toBe(502);
    expect((await get('/self-verify')).status).toBe(502);
    expect((await get('/self-wrong-ca')).status).toBe(502);
    expect((await get('/self-ca')).status).toBe(200);
    expect((await get('/self-noverify')).status).toBe(200);
  });
});

describe('upstream TLS for WebSocket upstreams', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGateway(yaml());
  });
  afterAll(async () => {
    await gw?.stop();
  });
  const talk = (path: string) =>
    new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${gw.proxyPort}${path}`);
      ws.on('open', () => ws.send('hello'));
      ws.on('message', (m) => {
        resolve(`echo:${String(m)}`);
        ws.close();
      });
      ws.on('unexpected-response', (_req, res) => resolve(`status:${res.statusCode}`));
      ws.on('error', () => resolve('error'));
    });

  it('a wss upstream that demands a client certificate: the service\'s is presented; without one the handshake fails', async () => {
    expect(await talk('/wss-ok')).toBe('echo:hello');
    expect(await talk('/wss-none')).toBe('status:502');
  });
});

describe('upstream TLS references', () => {
  const base = `_format_version: "3.0"\nservices:\n  - name: a\n    url: https://127.0.0.1:1\n`;
  const errors = (text: string): string[] => {
    const r = loadConfigString(text, 'kong.yml');
    return r.ok ? [] : r.errors.map((e) => e.message);
  };
  it('refuses a client_certificate or ca_certificates entry that names nothing', () => {
    expect(errors(base + `    client_certificate: ${ids.client}\n`).join('\n')).toMatch(/client_certificate refers to unknown certificate/);
    expect(errors(base + `    ca_certificates: [${ids.serverCa}]\n`).join('\n')).toMatch(/ca_certificates\[0\] refers to unknown CA certificate/);
  });
  it('refuses a ca_certificates entry that is not a CA', () => {
    const text = base + `ca_certificates:\n  - id: ${ids.serverCa}\n    cert: |\n      ${ind(read('client.crt'), 6)}\n`;
    expect(errors(text).join('\n')).toMatch(/not a CA certificate/);
  });
  it('accepts the Kong 3.x fields', () => {
    const text = base + `    tls_verify: true\n    tls_verify_depth: 2\n    ca_certificates: [${ids.serverCa}]\n    client_certificate: {id: ${ids.client}}\ncertificates:\n  - id: ${ids.client}\n    cert: |\n      ${ind(read('client.crt'), 6)}\n    key: |\n      ${ind(read('client.key'), 6)}\nca_certificates:\n  - id: ${ids.serverCa}\n    cert: |\n      ${ind(read('server-ca.crt'), 6)}\n`;
    expect(errors(text)).toEqual([]);
    const r = loadConfigString(text, 'kong.yml');
    expect(r.ok && r.config.services[0]!.tls).toMatchObject({ verify: true, depth: 2, client_certificate: ids.client });
  });
});
