import { describe, expect, it } from 'vitest';
import type uWS from '../../../src/uws/index.js';
import { PluginRequest } from '../../../src/proxy/plugin-request.js';

/** The request reader on its own: a uWS request stand-in handing headers out in arrival order. */
class Reader extends PluginRequest {
  readonly snapshot = null as never;
  read(headers: Array<[string, string]>, ids = { idPrefix: 'abcd', idCounter: 41 }): this {
    const req = {
      getCaseSensitiveMethod: () => 'GET',
      getUrl: () => '/p',
      getQuery: () => 'a=1',
      forEach: (cb: (k: string, v: string) => void) => {
        for (const [k, v] of headers) cb(k, v);
      },
    } as unknown as uWS.HttpRequest;
    const res = { getRemoteAddress: () => new Uint8Array([127, 0, 0, 1]).buffer } as unknown as uWS.HttpResponse;
    this.readRequest(req, res, ids);
    return this;
  }
  protected originResponseHeader(): string | undefined {
    return undefined;
  }
}

describe('PluginRequest.readRequest', () => {
  it('picks the proxy-read headers into fields, only for their exact names, joining repeats', () => {
    const r = new Reader().read([
      ['date', 'x'], // same length as host: must not count as one
      ['from', 'y'],
      ['host', 'a.example'],
      ['x-forwarded-for', '1.1.1.1'],
      ['x-forwarded-for', '2.2.2.2'],
      ['via', '1.0 edge'],
      ['connection', 'keep-alive'],
      ['transfer-encoding', 'chunked'],
      ['accept-encoding', 'gzip'], // same length as x-forwarded-for
    ]);
    expect(r.host).toBe('a.example');
    expect(r.hasHost).toBe(true);
    expect(r.hForwardedFor).toBe('1.1.1.1, 2.2.2.2');
    expect(r.hVia).toBe('1.0 edge');
    expect(r.hConnection).toBe('keep-alive');
    expect(r.hTransferEncoding).toBe('chunked');
    expect(r.hContentLength).toBeUndefined();
    expect(r.conflictingLength).toBe(false);
    expect(r.clientIp).toBe('127.0.0.1');
    expect(r.method).toBe('GET');
    expect(r.query).toBe('a=1');
  });

  it('no Host: empty host, hasHost false; a date header alone does not make one', () => {
    const r = new Reader().read([['date', 'x']]);
    expect(r.host).toBe('');
    expect(r.hasHost).toBe(false);
    expect(r.headers.host).toBeUndefined();
  });

  it('two different Content-Length values are flagged; equal repeats are not', () => {
    expect(new Reader().read([['content-length', '5'], ['content-length', '6']]).conflictingLength).toBe(true);
    const same = new Reader().read([['content-length', '5'], ['content-length', '5']]);
    expect(same.conflictingLength).toBe(false);
    expect(same.hContentLength).toBe('5');
    expect(same.headers['content-length']).toBe('5');
  });

  it('the by-name headers are built on first read: repeats joined with ", ", cookies with "; "', () => {
    const r = new Reader().read([
      ['cookie', 'a=1'],
      ['accept', 'text/html'],
      ['cookie', 'b=2'],
      ['accept', 'application/json'],
    ]);
    expect(r.rawHeaders).toEqual(['cookie', 'a=1', 'accept', 'text/html', 'cookie', 'b=2', 'accept', 'application/json']);
    expect({ ...r.headers }).toEqual({ cookie: 'a=1; b=2', accept: 'text/html, application/json' });
    expect(r.headers).toBe(r.headers); // built once
  });

  it('header(name) reads the list without building `headers`, and joins a repeated header as `headers` does', () => {
    const r = new Reader().read([
      ['host', 'h'],
      ['apikey', 'k1'],
      ['x-b', '1'],
      ['cookie', 'a=1'],
      ['x-b', '2'],
      ['cookie', 'b=2'],
    ]);
    expect(r.header('apikey')).toBe('k1');
    expect(r.header('nope')).toBeUndefined();
    expect((r as unknown as { headerMap: unknown }).headerMap).toBeNull(); // not built for single headers
    expect(r.header('x-b')).toBe('1, 2');
    expect(r.header('cookie')).toBe('a=1; b=2');
    expect(r.header('apikey')).toBe(r.headers.apikey); // once built, read from it
  });

  it('the request id is the worker prefix and a counter, formatted once', () => {
    const ids = { idPrefix: 'abcd', idCounter: 41 };
    const a = new Reader().read([], ids);
    const b = new Reader().read([], ids);
    expect(a.requestId).toBe('abcd00000029');
    expect(b.requestId).toBe('abcd0000002a');
    expect(a.requestId).toBe(a.requestId);
    expect(ids.idCounter).toBe(43);
  });
});
