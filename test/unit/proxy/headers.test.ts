import { describe, expect, it } from 'vitest';
import { HOP_BY_HOP, SET_BY_GATEWAY, isGatewayRequestHeader, isSkippedResponseHeader } from '../../../src/proxy/headers.js';

describe('isGatewayRequestHeader (the by-length table)', () => {
  it('is true for every hop-by-hop and gateway-set name, and only for those', () => {
    for (const n of [...HOP_BY_HOP, ...SET_BY_GATEWAY]) expect(isGatewayRequestHeader(n), n).toBe(true);
    // Same lengths as listed names, but end-to-end headers the upstream must get.
    for (const n of ['user-agent', 'accept-encoding', 'authorization', 'x-consumer-idx', 'referer', 'accept', 'cookie', 'hostx', 'ab', 'x-real-ip2', 'x-forwarded-foo']) {
      expect(isGatewayRequestHeader(n), n).toBe(false);
    }
    expect(isGatewayRequestHeader('')).toBe(false);
    expect(isGatewayRequestHeader('x'.repeat(200))).toBe(false);
  });
});

describe('isSkippedResponseHeader (byte-wise, any case)', () => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  it('names the skipped header whatever its case', () => {
    expect(isSkippedResponseHeader(b('Content-Length'))).toBe('content-length');
    expect(isSkippedResponseHeader(b('DATE'))).toBe('date');
    expect(isSkippedResponseHeader(b('Via'))).toBe('via');
    expect(isSkippedResponseHeader(b('Transfer-Encoding'))).toBe('transfer-encoding');
    expect(isSkippedResponseHeader(b('keep-Alive'))).toBe('keep-alive');
    expect(isSkippedResponseHeader(b('Connection'))).toBe('connection');
  });
  it('copies everything else, including same-length look-alikes', () => {
    for (const n of ['Content-Type', 'Data', 'Vie', 'Set-Cookie', 'uWebSockets', 'Content-Lengtx', 'Connectioo', '\u00c4ate']) expect(isSkippedResponseHeader(b(n)), n).toBeNull();
  });
});
