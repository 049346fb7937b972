import { describe, expect, it } from 'vitest';
import type uWS from '../../../src/uws/index.js';
import { clientIp } from '../../../src/proxy/client-ip.js';

function res(bytes: number[], text: string): uWS.HttpResponse {
  return {
    getRemoteAddress: () => new Uint8Array(bytes).buffer,
    getRemoteAddressAsText: () => new TextEncoder().encode(text).buffer,
  } as unknown as uWS.HttpResponse;
}

describe('clientIp', () => {
  it('formats a 4-byte IPv4 address', () => {
    expect(clientIp(res([192, 168, 1, 20], 'unused'))).toBe('192.168.1.20');
  });
  it('unwraps an IPv4-mapped IPv6 address (dual-stack socket)', () => {
    expect(clientIp(res([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1], 'unused'))).toBe('127.0.0.1');
  });
  it("uses uWS's text for other IPv6 addresses", () => {
    expect(clientIp(res([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], '2001:db8::1'))).toBe('2001:db8::1');
    expect(clientIp(res([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], '::1'))).toBe('::1');
  });
});

describe('clientIp cache of the last IPv4 text', () => {
  it('a repeated address reuses its text; a different one replaces it (never a stale address)', () => {
    const seq = [[10, 0, 0, 1], [10, 0, 0, 1], [10, 0, 0, 2], [10, 0, 1, 0], [10, 0, 0, 1], [255, 255, 255, 255], [0, 0, 0, 0]];
    expect(seq.map((b) => clientIp(res(b, 'unused')))).toEqual(['10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.1.0', '10.0.0.1', '255.255.255.255', '0.0.0.0']);
    // The IPv4-mapped form shares the cache with the plain form.
    expect(clientIp(res([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0], 'unused'))).toBe('0.0.0.0');
    expect(clientIp(res([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4], 'unused'))).toBe('1.2.3.4');
  });
});
