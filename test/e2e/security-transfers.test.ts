/**
 * Issue 15, finding 6 (the part Sluice controls): a response the client abandons is logged as cut
 * (the bytes handed over and an error), never as a clean 200 (64 MiB: more than loopback socket
 * buffers absorb); a slow reader is not cut while bytes
 * keep moving. Raw sockets on both sides.
 */
import { expect, it } from 'vitest';
import net from 'node:net';
import { apiRoute, useRecordedGateway } from '../helpers/recorded-gateway.js';

const SIZE = 64 * 1024 * 1024;

const big = Buffer.alloc(SIZE, 97);
const fx = useRecordedGateway(apiRoute, (r, sock) => {
  const n = r.target.toString('latin1') === '/base/medium' ? 512 * 1024 : SIZE;
  sock.write('HTTP/1.1 200 OK\r\ncontent-length: ' + n + '\r\n\r\n');
  sock.write(big.subarray(0, n));
});

/** Reads `path`, pausing `pauseMs` after each read, and closes after `stopAfter` bytes (or at the end). */
function slowRead(path: string, stopAfter: number, pauseMs: number, deadlineMs: number): Promise<{ got: number; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(fx.gw.proxyPort, '127.0.0.1');
    let got = 0;
    let settled = false;
    const done = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(t);
      s.destroy();
      resolve({ got, closedByServer });
    };
    const t = setTimeout(() => done(false), deadlineMs);
    s.on('data', (c: Buffer) => {
      got += c.length;
      if (got >= stopAfter) return done(false);
      s.pause();
      setTimeout(() => s.resume(), pauseMs);
    });
    s.on('close', () => done(true));
    s.on('error', () => done(true));
    s.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
  });
}

it('a download the client abandons is logged as cut, with the bytes handed over', async () => {
  const r = await slowRead('/api/big', 256 * 1024, 5, 10_000);
  expect(r.closedByServer).toBe(false);
  const line = await fx.gw.waitForLog((l) => l.msg === 'access' && l.path === '/api/big');
  expect(line.status).toBe(200);
  expect(String(line.error)).toMatch(/^cut: /);
  expect(Number(line.bytes)).toBeLessThan(SIZE);
});

it('a slow reader gets the whole body, logged as complete', async () => {
  const head = 'HTTP/1.1 200 OK'.length;
  const r = await slowRead('/api/medium', 512 * 1024 + head, 20, 30_000);
  expect(r.closedByServer).toBe(false);
  expect(r.got).toBeGreaterThan(512 * 1024);
  const line = await fx.gw.waitForLog((l) => l.msg === 'access' && l.path === '/api/medium');
  expect(line.status).toBe(200);
  expect(line.error).toBeUndefined();
  expect(line.bytes).toBe(512 * 1024);
});
