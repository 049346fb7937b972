/** The router's path normalisation (Kong's kong/tools/uri.lua `normalize(uri, true)`), and the escaping of what goes upstream. */
import { describe, expect, it } from 'vitest';
import { normalizePath } from '../../../src/router/normalize.js';
import { escapePath } from '../../../src/router/upstream-path.js';

describe('normalizePath', () => {
  it.each<[string, string | null]>([
    ['/', '/'],
    ['/a/b', '/a/b'],
    // Kong: percent-decode all but reserved characters
    ['/users/%6aohn%20doe/profile', '/users/john doe/profile'],
    ['/caf%C3%A9', '/café'],
    ['/caf%c3%a9', '/café'],
    ['/%22', '/"'],
    ['/%5C', '/\\'],
    ['/a%2Fb', '/a%2Fb'],
    ['/a%2fb', '/a%2Fb'],
    ['/%3F%23%25', '/%3F%23%25'],
    ['/%F0%9F%98%80', '/\u{1F600}'],
    ['/%41%42', '/AB'],
    // invalid UTF-8 after decoding: refused (Kong's router errors)
    ['/a%00b', null],
    ['/%FC%80%80%80%80%AF', null],
    ['/%C3', null],
    ['/%C3x', null],
    ['/%80', null],
    ['/%ED%A0%80', null], // a UTF-16 surrogate encoded in UTF-8
    // Kong: merge slashes
    ['/foo//bar', '/foo/bar'],
    ['//foo///bar//', '/foo/bar/'],
    // dot segments, %2E counting as a dot
    ['/foo/a/../bar', '/foo/bar'],
    ['/foo/./bar', '/foo/bar'],
    ['/route%2E/req', '/route./req'],
    ['/a/%2E%2E/b', '/b'],
    ['/..', '/'],
    // beyond Kong, for safety
    ['/%0D%0A', '/%0D%0A'],
    ['/%7F', '/%7F'],
    ['/%zz', null],
    ['/a%', null],
    ['/a%2', null],
    ['/..%2Fetc', null],
    ['/%2E%2E%2Fetc', null],
    ['/a/%5C..', null],
    ['a', null],
    ['', null],
  ])('%s → %s', (raw, want) => {
    expect(normalizePath(raw)).toBe(want);
  });

  it('returns the input itself when there is nothing to do', () => {
    const s = '/api/v1/users/42';
    expect(normalizePath(s)).toBe(s);
  });
});

describe('escapePath (what goes upstream)', () => {
  it.each<[string, string]>([
    ['/a/b', '/a/b'],
    ['/users/john doe', '/users/john%20doe'],
    ['/café', '/caf%C3%A9'],
    ['/"', '/%22'],
    ['/\\', '/%5C'],
    ['/\u{1F600}', '/%F0%9F%98%80'],
    ["/!#$&'()*+,/:;=?@[]-_.~%2F", "/!#$&'()*+,/:;=?@[]-_.~%2F"],
    ['/{x}|^`<>', '/%7Bx%7D%7C%5E%60%3C%3E'],
  ])('%s → %s', (path, want) => {
    expect(escapePath(path)).toBe(want);
  });

  it('normalise then escape gives back the escapes of decoded characters (Kong forwards that)', () => {
    expect(escapePath(normalizePath('/caf%c3%a9//x')!)).toBe('/caf%C3%A9/x');
  });
});
