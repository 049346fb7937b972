import { describe, expect, it } from 'vitest';
import { normalizePath } from '../../../src/proxy/path.js';

describe('normalizePath', () => {
  const rows: Array<[string, string | null]> = [
    ['/', '/'],
    ['/api/users', '/api/users'],
    ['/api/./users', '/api/users'],
    ['/api/../admin', '/admin'],
    ['/api/x/..', '/api/'],
    ['/api/x/.', '/api/x/'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/api/%2e%2e/admin', '/admin'],
    ['/api/%2E%2E/admin', '/admin'],
    ['/api/.%2e/admin', '/admin'],
    ['/api/..%2fadmin', null],
    ['/api/..%2Fadmin', null],
    ['/api/%2e%2e%2fadmin', null],
    ['/api/..%5cadmin', null],
    ['/api/x%2F..', null],
    ['/api/a%2fb', '/api/a%2Fb'],
    ['/api/%7euser', '/api/~user'],
    ['/api/%41%42', '/api/AB'],
    ['/api/caf%c3%a9', '/api/caf%C3%A9'],
    ['/api/%zz', null],
    ['/api/%4', null],
    ['/api/100%', null],
    ['relative', null],
    ['', null],
    ['/a//b', '/a//b'],
    ['/.well-known/x', '/.well-known/x'],
  ];
  it.each(rows)('%s → %s', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });
  it('returns the same string instance on the fast path', () => {
    const s = '/v1/orders/42';
    expect(normalizePath(s)).toBe(s);
  });
});
