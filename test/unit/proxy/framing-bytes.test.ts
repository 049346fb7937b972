import { describe, expect, it } from 'vitest';
import { requestFraming } from '../../../src/proxy/framing.js';
import { ERRORS } from '../../../src/proxy/errors.js';
import { assertHeader, hasForbidden, isPlainValue, toWire, wireTarget, wireValue } from '../../../src/proxy/bytes.js';

describe('requestFraming', () => {
  const cases: Array<[string | undefined, string | undefined, boolean, unknown]> = [
    [undefined, undefined, false, null],
    ['12', undefined, false, null],
    ['12', undefined, true, ERRORS.badFraming],
    ['1e3', undefined, false, ERRORS.badFraming],
    [undefined, 'chunked', false, null],
    [undefined, 'Chunked', false, null],
    ['3', 'chunked', false, ERRORS.badFraming],
    [undefined, 'chunked, identity', false, ERRORS.badFraming],
    [undefined, 'identity, chunked', false, ERRORS.badFraming],
    [undefined, 'chunked, chunked', false, ERRORS.badFraming],
    [undefined, 'chunked,', false, ERRORS.badFraming],
    [undefined, 'xchunked', false, ERRORS.unknownCoding],
    [undefined, 'gzip, chunked', false, ERRORS.unknownCoding],
    [undefined, 'gzip', false, ERRORS.badFraming],
  ];
  for (const [cl, te, conflicting, want] of cases) {
    it(`CL ${cl} TE ${te}${conflicting ? ' (conflicting)' : ''}`, () => expect(requestFraming(cl, te, conflicting)).toBe(want));
  }
  it('framing errors close the connection', () => {
    expect(ERRORS.badFraming.close).toBe(true);
    expect(ERRORS.unknownCoding.status).toBe(501);
  });
});

describe('bytes', () => {
  it('plain ASCII is kept as is, without a copy', () => {
    const s = 'text/html; q=0.9\tx';
    expect(isPlainValue(s)).toBe(true);
    expect(wireValue(s)).toBe(s);
  });
  it('non-ASCII becomes its UTF-8 bytes, one char each: never a CR from U+010D', () => {
    expect(toWire('é')).toBe('\u00c3\u00a9');
    expect(wireValue('a\u010d\u010ab')).toBe('a\u00c4\u008d\u00c4\u008ab');
    expect(Buffer.from(wireValue('a\u010d\u010ab'), 'latin1').includes(13)).toBe(false);
  });
  it('refuses controls, DEL and U+FFFD from the client', () => {
    expect(hasForbidden('a\tb', true)).toBe(false);
    expect(hasForbidden('a\tb', false)).toBe(true);
    for (const s of ['a\x7f', 'a\ufffd', 'a\x00', 'a\x1b']) expect(hasForbidden(s, true)).toBe(true);
    expect(hasForbidden('café ĮĮ 💡', true)).toBe(false);
  });
  it('targets: null when a rewrite put a space or control in them', () => {
    expect(wireTarget('/a/b?c=d')).toBe('/a/b?c=d');
    expect(wireTarget('/é')).toBe('/\u00c3\u00a9');
    expect(wireTarget('/a b')).toBeNull();
    expect(wireTarget('/a\r\nb')).toBeNull();
  });
  it('assertHeader: tokens, and no CR, LF or NUL in values', () => {
    expect(() => assertHeader('x-ok', 'zoë')).not.toThrow();
    expect(() => assertHeader('x-bad', 'a\r\nb: c')).toThrow();
    expect(() => assertHeader('x-bad', 'a\0')).toThrow();
    expect(() => assertHeader('bad name', 'v')).toThrow();
    expect(() => assertHeader('x:y', 'v')).toThrow();
  });
});
