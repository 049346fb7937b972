/** src/proxy/method.ts: the methods Sluice admits, as nginx (and so Kong) does. */
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../../src/proxy/errors.js';
import { methodError } from '../../../src/proxy/method.js';

describe('methodError', () => {
  it('admits upper-case letters, "_" and "-", of any length', () => {
    for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'PURGE', 'LINK', 'PROPFIND', 'M-SEARCH', 'X_Y', '-', '_', 'X'.repeat(5000)]) {
      expect(methodError(m), m).toBeNull();
    }
  });

  it('refuses anything else with 400, closing the connection', () => {
    for (const m of ['', 'get', 'Get', 'gET', 'M2', '1', 'G!T', 'G#T', "G'T", 'G*T', 'G+T', 'G.T', 'G^T', 'G`T', 'G|T', 'G~T', 'G(T', 'G"T', 'G/T', 'G:T', 'G@T', 'G,T', 'G{T', 'G T', 'G\tT', 'G\x7fT', 'G\x00T', 'GÉT', 'G\u0130T']) {
      expect(methodError(m), JSON.stringify(m)).toBe(ERRORS.badMethod);
    }
    expect(ERRORS.badMethod.status).toBe(400);
    expect(ERRORS.badMethod.close).toBe(true);
  });

  it('refuses TRACE with 405 (nginx does: cross-site tracing)', () => {
    expect(methodError('TRACE')).toBe(ERRORS.traceMethod);
    expect(methodError('TRACEX')).toBeNull();
  });

  it('refuses CONNECT with 405 (nginx does; the gateway opens no tunnels)', () => {
    expect(methodError('CONNECT')).toBe(ERRORS.connectMethod);
    expect(ERRORS.connectMethod.status).toBe(405);
    expect(methodError('CONNECTX')).toBeNull();
    expect(methodError('CONNEC')).toBeNull();
  });
});
