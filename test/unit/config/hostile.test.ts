/**
 * Issue 15 finding 3: a YAML alias cycle or very deep nesting must be refused with FILE:LINE:COL,
 * never overflow the stack of a walk over the document (secrets, migration, validation,
 * normalisation, diff, redaction). Alias bombs stay refused.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, loadConfigFile, loadConfigString, redactConfig } from '../../../src/config/index.js';
import { parseFast } from '../../../src/config/fast-yaml.js';
import { resolveSecrets } from '../../../src/config/secrets.js';
import { migrate } from '../../../src/config/migrate.js';
import { MAX_DEPTH, valueShapeProblem } from '../../../src/config/shape.js';
import { diffConfigs } from '../../../src/snapshot/diff.js';
import { tempDir } from '../../helpers/gateway.js';
import { config, errors, y } from './helpers.js';

const HEAD = '_format_version: "3.0"';
const N = 100_000;

describe('alias cycles', () => {
  it('refuses the issue-15 reproduction with the alias position, not a RangeError', () => {
    expect(errors(y(HEAD, 'a: &a [*a]', 'services: []'))).toEqual(['2:8 alias cycle: *a refers to a node that contains it']);
  });

  it('refuses cycles through mappings, merge keys and longer loops', () => {
    expect(errors(y(HEAD, 'a: &a {b: *a}'))[0]).toMatch(/^2:11 alias cycle: \*a/);
    expect(errors(y(HEAD, 'a: &a', '  b:', '    c: [1, *a]'))[0]).toMatch(/^4:12 alias cycle: \*a/);
    expect(errors(y(HEAD, 'a: &a {<<: *a}'))[0]).toMatch(/alias cycle/);
    expect(errors(y(HEAD, 'a: &a {b: &b {c: *a}}'))[0]).toMatch(/^2:18 alias cycle: \*a/);
    // Inside an entity, where the secrets walk comes first.
    const inPlugin = y(HEAD, 'plugins:', '  - name: cors', '    config: &c', '      origins: [*c]');
    expect(errors(inPlugin)).toEqual(['5:17 alias cycle: *c refers to a node that contains it']);
  });

  it('still accepts aliases that share without cycling, and merge keys', () => {
    const c = config(y(HEAD, 'services:', '  - name: a', '    url: &u http://127.0.0.1:9', '    tags: &t [x, y]', '  - name: b', '    url: *u', '    tags: *t'));
    expect(c.services.map((s) => s.tags)).toEqual([['x', 'y'], ['x', 'y']]);
    const m = config(y(HEAD, '_ignore: [&d {read_timeout: 5}]', 'services: [{<<: *d, name: a, url: "http://127.0.0.1:9"}]'));
    expect(m.services[0]!.read_timeout).toBe(5);
  });
});

describe('deep nesting', () => {
  it(`refuses ${N.toLocaleString('en')} levels of flow sequences, flow mappings and compact block sequences`, () => {
    const flow = `${HEAD}\na: ${'['.repeat(N)}${']'.repeat(N)}\n`;
    expect(errors(flow)).toEqual([`2:${4 + MAX_DEPTH - 1} nesting deeper than ${MAX_DEPTH} levels: a configuration is never that deep`]);
    const map = `${HEAD}\na: ${'{a: '.repeat(N)}1${'}'.repeat(N)}\n`;
    expect(errors(map)[0]).toMatch(/^2:\d+ nesting deeper than 128 levels/);
    const block = `${HEAD}\na:\n${'- '.repeat(N)}x\n`;
    expect(errors(block)[0]).toMatch(/^3:\d+ nesting deeper than 128 levels/);
  });

  it('refuses depth built from a chain of aliases (linear text, deep value), pointing at an alias', () => {
    const lines = [HEAD, 'x0: &x0 [1]'];
    for (let i = 1; i < 300; i++) lines.push(`x${i}: &x${i} [*x${i - 1}]`);
    const e = errors(y(...lines));
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(/^\d+:\d+ nesting deeper than 128 levels: a configuration is never that deep \(through alias \*x\d+\)$/);
  });

  it('accepts nesting up to the limit (a deep request-validator schema is fine)', () => {
    const depth = 40;
    const schema = `${'{"a": '.repeat(depth)}1${'}'.repeat(depth)}`;
    const text = y(HEAD, 'plugins:', '  - name: request-termination', '    config:', `      body: '${schema}'`);
    expect(errors(text)).toEqual([]);
    // Depth exactly at the limit is accepted by both parsers; one more is refused by both.
    const at = (d: number): string => `${HEAD}\n_ignore: ${'['.repeat(d - 1)}${']'.repeat(d - 1)}\n`;
    expect(errors(at(MAX_DEPTH))).toEqual([]);
    expect(errors(at(MAX_DEPTH + 1))[0]).toMatch(/nesting deeper/);
    expect(parseFast(at(MAX_DEPTH))).not.toBeNull();
    expect(parseFast(at(MAX_DEPTH + 1))).toBeNull();
  });
});

describe('alias bombs stay refused', () => {
  it('billion laughs', () => {
    const lines = [HEAD, 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 0; i < 8; i++) {
      const name = String.fromCharCode(98 + i);
      lines.push(`${name}: &${name} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`);
    }
    const t0 = Date.now();
    expect(errors(y(...lines))[0]).toMatch(/Excessive alias count/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('merge-key bomb', () => {
    const lines = [HEAD, 'a0: &a0 {k0: 1, k1: 1, k2: 1, k3: 1, k4: 1, k5: 1, k6: 1, k7: 1, k8: 1, k9: 1}'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} {<<: [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}], z${i}: 1}`);
    lines.push(`services: [{<<: [${Array.from({ length: 10 }, () => '*a11').join(', ')}], name: x, url: "http://127.0.0.1:9"}]`);
    const t0 = Date.now();
    const e = errors(y(...lines));
    expect(e.length).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe('bytes that are not a YAML text', () => {
  it('refuses invalid UTF-8 with the position of the first bad byte', () => {
    const dir = tempDir();
    const f = join(dir, 'gw.yaml');
    writeFileSync(f, Buffer.concat([Buffer.from(`${HEAD}\nservices:\n  - name: caf`), Buffer.from([0xe9]), Buffer.from('\n    url: http://x\n')]));
    const r = loadConfigFile(f);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.map((e) => `${e.line}:${e.column} ${e.message}`)).toEqual(['3:14 the file is not valid UTF-8 (byte 0xe9): YAML files are UTF-8']);
    expect(decodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).toBe('\ufeffa');
    expect(decodeUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toMatchObject({ line: 1, column: 1 }); // a surrogate
    expect(decodeUtf8(Buffer.from([0xc0, 0x80]))).toMatchObject({ line: 1, column: 1 }); // overlong
    expect(decodeUtf8(Buffer.from('héllo\nwo\xff', 'latin1'))).toMatchObject({ line: 1, column: 2 });
  });

  it('refuses a UTF-16 file by its byte order mark', () => {
    expect(decodeUtf8(Buffer.from([0xff, 0xfe, 0x5f, 0x00]))).toMatchObject({ message: expect.stringMatching(/UTF-16/) });
  });

  it('cuts a 10 MB value quoted in a message', () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    const r = loadConfigString(`_format_version: "${big}"\n`, 'gw.yaml');
    expect(r.ok).toBe(false);
    for (const e of r.ok ? [] : r.errors) expect(e.message.length).toBeLessThan(1200);
  });
});

describe('the walks themselves survive what the loader refuses', () => {
  const cyclic = (): Record<string, unknown> => {
    const a: unknown[] = [];
    a.push(a);
    const o: Record<string, unknown> = { _format_version: '3.0', a, o: {} };
    (o.o as Record<string, unknown>).self = o;
    return o;
  };
  const deep = (): Record<string, unknown> => {
    const root: Record<string, unknown> = { _format_version: '3.0' };
    let cur = root;
    for (let i = 0; i < N; i++) cur = (cur.a = { b: null }) as Record<string, unknown>;
    cur.s = '{vault://env/NOPE}';
    return root;
  };

  it('secrets and migration', () => {
    expect(resolveSecrets(cyclic(), 'gw.yaml', {}).issues).toEqual([]);
    const found = resolveSecrets(deep(), 'gw.yaml', {}).issues;
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toHaveLength(N + 1);
    expect(migrate(cyclic())).toEqual([]);
    expect(migrate(deep())).toEqual([]);
  });

  it('the shape check finds both on plain values', () => {
    expect(valueShapeProblem(cyclic())?.message).toMatch(/cycle/);
    expect(valueShapeProblem(deep())?.message).toMatch(/nesting deeper/);
    expect(valueShapeProblem({ a: [1, { b: 2 }] })).toBeNull();
  });

  it('diff and /config redaction of a configuration with a deep plugin config', () => {
    const text = (body: string): string => y(HEAD, 'plugins:', '  - name: request-termination', '    config:', `      body: '${body}'`);
    const a = config(text('a'));
    const b = config(text('b'));
    // Deeper than the loader allows, put there by hand: diff compares it whole, no overflow.
    let cur: Record<string, unknown> = b.plugins[0]!.config;
    for (let i = 0; i < 10_000; i++) cur = (cur.extra = {}) as Record<string, unknown>;
    expect(diffConfigs(a, b).counts.changed).toBe(1);
    expect(redactConfig(a)).toMatchObject({ plugins: [{ name: 'request-termination' }] });
  });
});
