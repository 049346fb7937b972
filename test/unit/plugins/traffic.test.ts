/**
 * Unit tests for the intricate parts of the traffic plugins: CIDR ranges, the shared-memory
 * counter table under real concurrency (worker threads), config rules reported at their line,
 * the rewritten bot list, and windows.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { compileList, contains, parseClient, parseIPv6 } from '../../../src/plugins/ip-restriction/cidr.js';
import { SharedTable, sharedRegion } from '../../../src/plugins/shared-memory.js';
import { countLocal, counterTable } from '../../../src/plugins/rate-limiting/local.js';
import { windowBounds } from '../../../src/plugins/rate-limiting/windows.js';
import { BOT_RULES } from '../../../src/plugins/bot-detection/rules.js';
import { regexSafetyProblem } from '../../../src/router/paths.js';
import { config, errors, y } from '../config/helpers.js';

describe('ip-restriction ranges', () => {
  const list = (...e: string[]) => {
    const c = compileList(e);
    if ('bad' in c) throw new Error(c.message);
    return c;
  };
  it('IPv4 addresses and CIDRs', () => {
    const l = list('10.0.0.0/8', '192.168.1.7', '172.16.0.0/12');
    for (const ip of ['10.0.0.1', '10.255.255.255', '192.168.1.7', '172.31.255.255']) expect(contains(l, parseClient(ip)), ip).toBe(true);
    for (const ip of ['11.0.0.0', '192.168.1.8', '172.32.0.0', '9.255.255.255', 'garbage']) expect(contains(l, parseClient(ip)), ip).toBe(false);
    expect(contains(list('0.0.0.0/0'), parseClient('203.0.113.9'))).toBe(true);
  });
  it('IPv6 addresses, CIDRs and IPv4-mapped addresses (both ways)', () => {
    const l = list('2001:db8::/32', '::1', '::ffff:10.0.0.0/104');
    expect(contains(l, parseClient('2001:db8:ffff::1'))).toBe(true);
    expect(contains(l, parseClient('2001:db9::1'))).toBe(false);
    expect(contains(l, parseClient('::1'))).toBe(true);
    expect(contains(l, parseClient('0:0:0:0:0:0:0:1'))).toBe(true);
    expect(contains(l, parseClient('10.1.2.3'))).toBe(true); // v4 client, mapped entry
    expect(contains(list('10.0.0.0/8'), parseClient('::ffff:10.1.2.3'))).toBe(true); // mapped client, v4 entry
    expect(parseIPv6('1::2::3')).toBeNull();
    expect(parseIPv6('fe80::1%eth0')).toBe(0xfe80n << 112n | 1n);
  });
  it('reports the first bad entry', () => {
    expect(compileList(['10.0.0.1', '10.0.0.0/33'])).toMatchObject({ bad: 1 });
    expect(compileList(['nope'])).toMatchObject({ bad: 0 });
    expect(compileList(['01.2.3.4'])).toMatchObject({ bad: 0 });
  });
});

describe('shared counter table', () => {
  it('counts exactly under concurrent increments from 4 worker threads', async () => {
    const shared = new SharedArrayBuffer(32 * 1024 * 1024);
    // Worker threads run the built module (npm test builds dist/ first).
    const dist = new URL('../../../dist/plugins/rate-limiting/local.js', import.meta.url).href;
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.dist).then(({ countLocal, counterTable }) => {
        const t = counterTable(workerData.shared);
        const now = Date.UTC(2030, 0, 1);
        let allowed = 0;
        for (let i = 0; i < 5000; i++) {
          if (countLocal(t, 1, 2, 'client', [5], [12000], [Date.UTC(2030, 0, 1)], [Date.UTC(2031, 0, 1)], now, [0], [0]) < 0) allowed++;
        }
        parentPort.postMessage(allowed);
      });`;
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => new Promise<number>((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { shared, dist } });
        w.once('message', (n: number) => { resolve(n); void w.terminate(); });
        w.once('error', reject);
      })),
    );
    // 20000 attempts against a limit of 12000: exactly 12000 allowed in total.
    expect(runs.reduce((a, b) => a + b, 0)).toBe(12000);
    const t = counterTable(shared);
    const counts = [0];
    expect(countLocal(t, 1, 2, 'client', [5], [12000], [Date.UTC(2030, 0, 1)], [Date.UTC(2031, 0, 1)], Date.UTC(2030, 0, 1), counts, [0])).toBe(0);
    expect(counts[0]).toBe(12001);
  });

  it('keys are separate; an expired entry is reclaimed; a full probe sequence evicts the soonest to expire', () => {
    const shared = new SharedArrayBuffer(32 * 1024 * 1024);
    const t = new SharedTable({ buffer: shared, byteOffset: 0, byteLength: 64 * 16 }, 4); // 64 slots
    const a = t.entry(11, 5, 100, 0);
    const b = t.entry(12, 5, 100, 0);
    expect(a).not.toBe(b);
    expect(t.entry(11, 5, 100, 0)).toBe(a);
    Atomics.add(t.i32, a + 3, 7);
    // At time 200 entry a is expired: a new key with the same home slot reuses it, zeroed.
    const c = t.entry(13, 5, 300, 200);
    expect(c).toBe(a);
    expect(t.i32[c + 3]).toBe(0);
    // Fill every slot with live keys, then one more: evicts the one expiring first.
    const small = new SharedTable({ buffer: shared, byteOffset: 4096, byteLength: 32 * 16 }, 4); // 32 slots = MAX_PROBE
    for (let i = 0; i < 32; i++) small.entry(100 + i, i, 1000 + i, 0);
    const evicted = small.entry(999, 0, 5000, 0);
    expect(evicted).toBe(0); // key 100 at slot 0 expired first (1000)
  });

  it('regions are fixed and disjoint', () => {
    const shared = new SharedArrayBuffer(32 * 1024 * 1024);
    const rl = sharedRegion(shared, 'rate-limiting');
    const th = sharedRegion(shared, 'throttling');
    expect(rl.byteOffset + rl.byteLength).toBeLessThanOrEqual(th.byteOffset);
    expect(() => sharedRegion(shared, 'nope')).toThrow(/no shared memory region/);
  });
});

describe('rate-limiting windows (UTC, fixed as Kong)', () => {
  it('second … year', () => {
    const now = Date.UTC(2026, 1, 14, 13, 45, 30, 250);
    const b: [number, number] = [0, 0];
    windowBounds(1, now, b);
    expect(b).toEqual([Date.UTC(2026, 1, 14, 13, 45), Date.UTC(2026, 1, 14, 13, 46)]);
    windowBounds(3, now, b);
    expect(b).toEqual([Date.UTC(2026, 1, 14), Date.UTC(2026, 1, 15)]);
    windowBounds(4, now, b);
    expect(b).toEqual([Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 1)]);
    windowBounds(5, Date.UTC(2026, 11, 31, 23, 59, 59), b);
    expect(b).toEqual([Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1)]);
  });
});

describe('bot-detection rules', () => {
  it('every built-in pattern is safe and the list catches well-known bots but not browsers', () => {
    for (const r of BOT_RULES) expect(regexSafetyProblem(r), r).toBeNull();
    const any = (ua: string) => BOT_RULES.some((r) => new RegExp(r).test(ua));
    for (const ua of ['Googlebot/2.1 (+http://www.google.com/bot.html)', 'Mozilla/5.0 (compatible; bingbot/2.0)', 'facebookexternalhit/1.1', 'Scrapy/2.11 (+https://scrapy.org)', 'Python-urllib/3.12', 'Apache-HttpClient/4.5.13', 'MJ12bot', 'Baiduspider-render/2.0', 'SemrushBot/7~bl', 'Twitterbot/1.0', 'AhrefsBot/7.0']) {
      expect(any(ua), ua).toBe(true);
    }
    for (const ua of ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'curl/8.5.0', 'CUBOT_NOTE', 'PostmanRuntime/7.39.0']) {
      expect(any(ua), ua).toBe(false);
    }
  });
});

describe('config rules (reported at their line)', () => {
  const plugin = (conf: string) => y('_format_version: "3.0"', 'plugins:', '  - name: PLUGIN', `    config: ${conf}`);
  const errs = (name: string, conf: string) => errors(plugin(conf).replace('PLUGIN', name));

  it('rate-limiting: a window is required, windows are ordered, header/path/redis host required', () => {
    expect(errs('rate-limiting', '{ limit_by: ip }')).toEqual(['4:13 plugins[rate-limiting].config must set at least one limit: second, minute, hour, day, month or year']);
    expect(errs('rate-limiting', '{ second: 10, minute: 5 }')).toEqual(['4:35 plugins[rate-limiting].config.minute the limit for minute (5) cannot be lower than the limit for second (10)']);
    expect(errs('rate-limiting', '{ minute: 5, limit_by: header }')[0]).toMatch(/config\.header_name is required when limit_by is header/);
    expect(errs('rate-limiting', '{ minute: 5, limit_by: path }')[0]).toMatch(/config\.path is required when limit_by is path/);
    expect(errs('rate-limiting', '{ minute: 5, policy: redis }')[0]).toMatch(/is required when policy is redis/);
    expect(errs('rate-limiting', '{ minute: 5, policy: cluster }')[0]).toMatch(/policy/);
    expect(errs('rate-limiting', '{ minute: 5, bogus: 1 }')[0]).toMatch(/bogus/);
  });

  it('rate-limiting fills Kong 3.8 redis defaults and accepts both redis forms', () => {
    const c = config(plugin('{ minute: 5, policy: redis, redis_host: r1, redis: { port: 6380 } }').replace('PLUGIN', 'rate-limiting'));
    expect(c.plugins[0]!.config).toMatchObject({ redis_host: 'r1', redis: { host: null, port: 6380, timeout: 2000, database: 0, ssl: false }, error_code: 429, fault_tolerant: true });
  });

  it('ip-restriction: bad addresses and empty lists', () => {
    expect(errs('ip-restriction', '{ allow: [10.0.0.1, "10.0.0.0/40"] }')[0]).toMatch(/config\.allow\[1\] "10\.0\.0\.0\/40" has a prefix longer than 32 bits/);
    expect(errs('ip-restriction', '{ deny: [bogus] }')[0]).toMatch(/not a valid IP address or CIDR block/);
    expect(errs('ip-restriction', '{ allow: [] }')[0]).toMatch(/must set allow or deny/);
  });

  it('bot-detection and cors reject unsafe or invalid patterns', () => {
    expect(errs('bot-detection', '{ deny: ["(a+)+$"] }')[0]).toMatch(/config\.deny\[0\] "\(a\+\)\+\$" is unsafe \(catastrophic backtracking\)/);
    expect(errs('bot-detection', '{ allow: ["("] }')[0]).toMatch(/is not a valid regular expression/);
    expect(errs('cors', '{ origins: ["https://(a+)+\\\\.example"] }')[0]).toMatch(/config\.origins\[0\] .* is unsafe/);
    expect(errs('cors', '{ origins: ["*", "http://a.example", "https://.*\\\\.b\\\\.example"] }')).toEqual([]);
  });

  it('throttling needs rate and burst; request-size-limiting and correlation-id defaults', () => {
    expect(errs('throttling', '{ rate: 10 }')[0]).toMatch(/burst/);
    const c = config(y('_format_version: "3.0"', 'plugins:', '  - name: request-size-limiting', '  - name: correlation-id'));
    expect(c.plugins[0]!.config).toEqual({ allowed_payload_size: 128, size_unit: 'megabytes', require_content_length: false });
    expect(c.plugins[1]!.config).toEqual({ header_name: 'X-Request-Id', generator: 'uuid#counter', echo_downstream: false });
  });
});
