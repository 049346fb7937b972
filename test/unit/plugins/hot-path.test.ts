/**
 * The request-path shortcuts of key-auth and rate-limiting give what the general code gives:
 * one header off the arrival-order list (vs the by-name object), one query parameter by string
 * search (vs URLSearchParams), the key index (vs a plain lookup), the window bounds cached per
 * second (vs computed per request, across second, minute, month and year boundaries), and the
 * rate-limiting headers (vs Kong's formulas).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Route } from '../../../src/config/types.js';
import { compileChains, PluginStateStore, type Chain } from '../../../src/plugins/chain.js';
import { queryParam } from '../../../src/plugins/request-input.js';
import { PERIODS, WindowClock, windowBounds } from '../../../src/plugins/rate-limiting/windows.js';
import type { PluginContext, PluginResponse, RequestBodyCapability } from '../../../src/plugins/types.js';
import { config, y } from '../config/helpers.js';

describe('queryParam', () => {
  const cases: Array<[string, string]> = [
    ['apikey=k1', 'apikey'],
    ['a=1&apikey=k2&apikey=k3', 'apikey'],
    ['xapikey=1&apikey=2', 'apikey'],
    ['apikeyx=1&apikey=2', 'apikey'],
    ['a=apikey&b=x&apikey=3', 'apikey'],
    ['a=1&apikey', 'apikey'],
    ['apikey&apikey=5', 'apikey'],
    ['apikey=', 'apikey'],
    ['apikey=a=b', 'apikey'],
    ['&&apikey=6&', 'apikey'],
    ['apikey=%41%42', 'apikey'],
    ['api%6Bey=7', 'apikey'],
    ['apikey=a+b', 'apikey'],
    ['?apikey=8', 'apikey'],
    ['apikey=é€😀', 'apikey'],
    ['apikey=\uD800x', 'apikey'],
    ['=x&apikey=9', 'apikey'],
    ['a=1', 'apikey'],
    ['a=1&b=2', 'b'],
    ['a=1&b=2', ''],
    ['=x', ''],
    ['k.e~y-_=10', 'k.e~y-_'],
    ['APIKEY=11&apikey=12', 'apikey'],
    ['a=%ZZ&apikey=13', 'apikey'],
  ];
  it.each(cases)('%s (%s) as URLSearchParams', (q, name) => {
    expect(queryParam(q, name)).toBe(new URLSearchParams(q).get(name));
  });
  it('random queries as URLSearchParams', () => {
    const alphabet = ['a', 'k', 'ak', '=', '&', '%', '%61', '+', '?', 'é', ' '];
    let seed = 12345;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let i = 0; i < 5000; i++) {
      let q = '';
      const len = rnd(12);
      for (let j = 0; j < len; j++) q += alphabet[rnd(alphabet.length)];
      for (const name of ['a', 'k', 'ak', 'aka']) expect(queryParam(q, name), `${q} ${name}`).toBe(new URLSearchParams(q).get(name));
    }
  });
  it('empty query', () => expect(queryParam('', 'a')).toBeNull());
});

describe('WindowClock', () => {
  const at = (iso: string) => Date.parse(iso);
  const expected = (now: number) => {
    const b: [number, number] = [0, 0];
    return PERIODS.map((_, p) => (windowBounds(p, now, b), [b[0], b[1]]));
  };
  const bounds = (c: WindowClock) => PERIODS.map((_, p) => [c.starts[p], c.ends[p]]);
  it('recomputes exactly when the second changes, and matches windowBounds at every instant', () => {
    const c = new WindowClock();
    expect(c.update(at('2026-02-14T13:45:30.000Z'))).toBe(true);
    expect(c.update(at('2026-02-14T13:45:30.999Z'))).toBe(false);
    expect(bounds(c)).toEqual(expected(at('2026-02-14T13:45:30.999Z')));
    expect(c.update(at('2026-02-14T13:45:31.000Z'))).toBe(true);
    expect(bounds(c)).toEqual(expected(at('2026-02-14T13:45:31.000Z')));
    // the clock going back a second
    expect(c.update(at('2026-02-14T13:45:30.500Z'))).toBe(true);
    expect(bounds(c)).toEqual(expected(at('2026-02-14T13:45:30.500Z')));
  });
  it('rolls over minute, hour, day, month and year at the last millisecond', () => {
    const c = new WindowClock();
    for (const edge of ['2026-12-31T23:59:59.999Z', '2027-01-01T00:00:00.000Z', '2028-02-29T23:59:59.999Z', '2028-03-01T00:00:00.000Z', '2026-06-30T12:59:59.999Z', '2026-06-30T13:00:00.000Z']) {
      c.update(at(edge));
      expect(bounds(c), edge).toEqual(expected(at(edge)));
    }
  });
  it('a random walk of instants matches windowBounds', () => {
    const c = new WindowClock();
    let now = at('2026-12-31T23:58:00.000Z');
    for (let i = 0; i < 20000; i++) {
      now += (i * 7919) % 97;
      c.update(now);
      expect(c.second).toBe(Math.floor(now / 1000) * 1000);
      if (i % 50 === 0) expect(bounds(c)).toEqual(expected(now));
    }
  });
});

const NO_BODY: RequestBodyCapability = { requestBody: Buffer.alloc(0), setRequestBody() {} };

/** A plugin context as the proxy's: headers by name built from the list, additions recorded. */
function request(route: Route, query: string, raw: string[] = []): PluginContext & { added: string[]; chain: Chain | null; result: PluginResponse | 'passed' | null } {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) headers[raw[i]!] = raw[i + 1]!;
  return {
    method: 'GET',
    path: '/r/x',
    query,
    headers,
    header: (n: string) => headers[n],
    clientIp: '203.0.113.7',
    requestId: 'id',
    requestIdFixed: true,
    setRequestId: () => undefined,
    route,
    service: null,
    params: null,
    consumer: null,
    credentialId: null,
    added: [],
    chain: null,
    result: null,
    authenticate(c, id) {
      (this as { consumer: unknown }).consumer = c;
      (this as { credentialId: unknown }).credentialId = id;
    },
    setUpstreamHeader() {},
    setUpstreamQuery() {},
    addResponseHeader(n, v) {
      this.added.push(n, v);
    },
    hideConsumerGroups: false,
    setUpstreamPath() {},
    setUpstreamMethod() {},
    setUpstream() {},
    setTarget() {},
    limitRequestBody() {},
    authenticatedGroups: null,
    getResponseHeader: () => undefined,
    upstreamResponseHeaders: () => [],
    removeResponseHeader() {},
  };
}

function run(chain: Chain, req: ReturnType<typeof request>): PluginResponse | undefined {
  for (const f of chain.access) {
    const r = f(req, NO_BODY);
    if (r !== undefined) return r as PluginResponse;
  }
  return undefined;
}

function compile(text: string): Chain {
  const cfg = config(text);
  const chains = compileChains(cfg, cfg.routes, new PluginStateStore(), new SharedArrayBuffer(32 * 1024 * 1024));
  return chains.get(cfg.routes[0]!)!;
}

describe('key-auth lookup', () => {
  it('finds each of many keys, and nothing for near misses', () => {
    const n = 2000;
    const creds = Array.from({ length: n }, (_, i) => `      - { consumer: c${i % 10}, key: key-${i.toString(36)}-${'x'.repeat(i % 7)} }`);
    const chain = compile(
      y(
        '_format_version: "3.0"',
        'services: [{ name: s, url: "http://u", routes: [{ name: r, paths: [/r], plugins: [{ name: key-auth }] }] }]',
        'consumers:',
        ...Array.from({ length: 10 }, (_, i) => `  - username: c${i}`),
        'keyauth_credentials:',
        ...creds,
      ),
    );
    const route = { id: 'r' } as Route;
    for (let i = 0; i < n; i += 37) {
      const key = `key-${i.toString(36)}-${'x'.repeat(i % 7)}`;
      const q = request(route, 'apikey=' + key);
      expect(run(chain, q)).toBeUndefined();
      expect(q.consumer?.username).toBe(`c${i % 10}`);
      const h = request(route, '', ['apikey', key]);
      expect(run(chain, h)).toBeUndefined();
      expect(h.consumer?.username).toBe(`c${i % 10}`);
      for (const miss of [key + 'x', key.slice(0, -1), key.slice(0, -1) + '!', 'y' + key.slice(1)]) {
        expect(run(chain, request(route, 'apikey=' + encodeURIComponent(miss))), miss).toMatchObject({ status: 401, message: 'Invalid authentication credentials' });
      }
    }
    expect(run(chain, request(route, 'apikey='))).toMatchObject({ status: 401, message: 'No API key found in request' });
    expect(run(chain, request(route, 'a%70ikey=key-0-'))).toBeUndefined(); // decoded name, as URLSearchParams
  });
});

describe('rate-limiting headers, window after window (clock mocked)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const chainFor = (conf: string) =>
    compile(y('_format_version: "3.0"', `services: [{ name: s, url: "http://u", routes: [{ name: r, paths: [/r], plugins: [{ name: rate-limiting, config: ${conf} }] }] }]`));

  it('counts, remaining and reset roll over at each second and minute boundary', () => {
    vi.useFakeTimers();
    const chain = chainFor('{ second: 3, minute: 5, month: 100, limit_by: ip }');
    const route = { id: 'r' } as Route;
    const hit = (iso: string) => {
      vi.setSystemTime(new Date(iso));
      const q = request(route, '');
      const r = run(chain, q);
      const h: Record<string, string> = {};
      for (let i = 0; i < q.added.length; i += 2) h[q.added[i]!] = q.added[i + 1]!;
      return { r, h };
    };
    let x = hit('2026-03-31T23:59:58.999Z');
    expect(x.r).toBeUndefined();
    expect(x.h).toEqual({
      'X-RateLimit-Limit-Second': '3',
      'X-RateLimit-Remaining-Second': '2',
      'X-RateLimit-Limit-Minute': '5',
      'X-RateLimit-Remaining-Minute': '4',
      'X-RateLimit-Limit-Month': '100',
      'X-RateLimit-Remaining-Month': '99',
      'RateLimit-Limit': '3',
      'RateLimit-Remaining': '2',
      'RateLimit-Reset': '1',
    });
    x = hit('2026-03-31T23:59:59.000Z'); // new second: the second window restarts
    expect(x.h['X-RateLimit-Remaining-Second']).toBe('2');
    expect(x.h['X-RateLimit-Remaining-Minute']).toBe('3');
    hit('2026-03-31T23:59:59.400Z');
    x = hit('2026-03-31T23:59:59.999Z');
    expect(x.h['X-RateLimit-Remaining-Second']).toBe('0');
    expect(x.h['X-RateLimit-Remaining-Minute']).toBe('1');
    expect(x.h['RateLimit-Remaining']).toBe('0');
    expect(x.h['RateLimit-Reset']).toBe('1');
    x = hit('2026-03-31T23:59:59.999Z'); // over the second limit: 429, not counted
    expect(x.r).toMatchObject({ status: 429, message: 'API rate limit exceeded', headers: { 'Retry-After': '1' } });
    expect(x.h['X-RateLimit-Remaining-Second']).toBe('0');
    expect(x.h['X-RateLimit-Remaining-Minute']).toBe('1');
    x = hit('2026-04-01T00:00:00.000Z'); // new second, minute and month
    expect(x.h['X-RateLimit-Remaining-Second']).toBe('2');
    expect(x.h['X-RateLimit-Remaining-Minute']).toBe('4');
    expect(x.h['X-RateLimit-Remaining-Month']).toBe('99');
    x = hit('2026-04-01T00:00:00.500Z');
    x = hit('2026-04-01T00:00:00.700Z');
    x = hit('2026-04-01T00:00:00.900Z');
    expect(x.r).toMatchObject({ status: 429, headers: { 'Retry-After': '1' } });
    x = hit('2026-04-01T00:00:01.000Z');
    x = hit('2026-04-01T00:00:01.001Z');
    expect(x.h['X-RateLimit-Remaining-Minute']).toBe('0');
    // minute exhausted: the answer names the minute window and its reset, 59 s away
    x = hit('2026-04-01T00:00:01.002Z');
    expect(x.r).toMatchObject({ status: 429, headers: { 'Retry-After': '59' } });
    expect(x.h['RateLimit-Limit']).toBe('5');
    expect(x.h['RateLimit-Remaining']).toBe('0');
    expect(x.h['RateLimit-Reset']).toBe('59');
  });

  it('counts stay per identifier past the bounded cache of identifier hashes', () => {
    const chain = chainFor('{ year: 2, limit_by: header, header_name: X-Tenant }');
    const route = { id: 'r' } as Route;
    const hit = (tenant: string) => {
      const q = request(route, '', ['x-tenant', tenant]);
      const r = run(chain, q);
      return { r, remaining: q.added[q.added.indexOf('X-RateLimit-Remaining-Year') + 1] };
    };
    for (let i = 0; i < 5000; i++) expect(hit('t' + i).remaining).toBe('1');
    expect(hit('t0').remaining).toBe('0');
    expect(hit('t4999').remaining).toBe('0');
    expect(hit('t0').r).toMatchObject({ status: 429 });
    expect(hit('t' + 'x'.repeat(3)).remaining).toBe('1');
  });

  it('RateLimit-Reset is ceil((window end - now) / 1000) for every millisecond of a second', () => {
    vi.useFakeTimers();
    const chain = chainFor('{ minute: 1000000, hour: 1000000, day: 1000000, year: 1000000, limit_by: ip }');
    const route = { id: 'r' } as Route;
    const start = Date.parse('2026-07-09T10:11:12.000Z');
    for (const ms of [0, 1, 499, 998, 999, 1000, 1001, 59_999, 60_000]) {
      const now = start + ms;
      vi.setSystemTime(now);
      const q = request(route, '');
      expect(run(chain, q)).toBeUndefined();
      const reset = q.added[q.added.indexOf('RateLimit-Reset') + 1];
      const b: [number, number] = [0, 0];
      windowBounds(5, now, b); // the year: the most remaining wins ties for the longest window
      expect(reset, String(ms)).toBe(String(Math.max(1, Math.ceil((b[1] - now) / 1000))));
    }
  });
});

describe('countText', () => {
  it('is String(n) for integers around and past 1e9, and anything else', async () => {
    const { countText } = await import('../../../src/plugins/rate-limiting/index.js');
    const samples = [0, 1, 7, 999_999_999, 1e9, 1e9 + 1, 1_000_000_010, 2 ** 31, 999_999_999_999, 1e12, 1e15 + 7, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1e21, 0.5, 1e9 + 0.5, Infinity];
    let x = 1;
    for (let i = 0; i < 2000; i++) samples.push(Math.floor((x = (x * 48271) % 2147483647) * 4194304 + i));
    for (const n of samples) expect(countText(n), String(n)).toBe(String(n));
  });
});
