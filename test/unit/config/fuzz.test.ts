/**
 * Config fuzz (issue 15): mutated variants of the repository's gateway.yaml, the examples and
 * the Kong corpus (deleted, duplicated and retyped keys, aliases and cycles, deep nesting,
 * 10 MB strings, invalid UTF-8, byte order marks, tabs, truncation, alias bombs) must never
 * crash the loader or `sluice validate`: every outcome is valid or FILE:LINE:COL errors, no
 * stack trace, exit 0 or 1, within a time and memory bound.
 *
 * Seeded (SLUICE_FUZZ_SEED to reproduce or explore; SLUICE_FUZZ_ITERATIONS for more), and
 * bounded to ~20 s so CI runs it every time. A failure prints the seed, the variant number and
 * the mutations applied; the variant is written to the temp directory for `sluice validate`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, redactConfig } from '../../../src/config/index.js';
import { MAX_DEPTH } from '../../../src/config/shape.js';
import { diffConfigs } from '../../../src/snapshot/diff.js';
import { BIN, tempDir } from '../../helpers/gateway.js';
import { configFiles, rng } from './helpers.js';

const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 15_003);
const ITERATIONS = Number(process.env.SLUICE_FUZZ_ITERATIONS ?? 700);
/** Wall-clock budget for the in-process part (it stops early, never fails, when over). */
const BUDGET_MS = Number(process.env.SLUICE_FUZZ_BUDGET_MS ?? 18_000);
const CLI_SAMPLE = 12;
/** Per file: generous bounds on a shared 2-core CI machine. */
const MAX_MS = 20_000; // ~4 s idle for the 10 MB string in an invalid file; the machine is shared
const MAX_RSS = 1024 * 1024 * 1024;
/**
 * In process, RSS only grows (V8 keeps what it once used, and the test allocates each variant):
 * it guards against an explosion; the CLI runs give each file a hard 1 GB heap.
 */
const MAX_RSS_IN_PROCESS = 2 * MAX_RSS;

const STACK = /^\s+at .+\(?.*:\d+:\d+\)?$|RangeError|TypeError|Maximum call stack|node:internal|\.ts:\d+:\d+|\.js:\d+:\d+/m;

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

const SCALARS = ['~', 'null', '[]', '{}', '0', '-1', '65536', '1e999', '.nan', 'true', '"x"', "''", '"{vault://env/NOPE}"', '{vault://env/NOPE}', '"{vault://nope}"', '!!binary aGk=', '!custom x', '"\\u0000"', '&anchor x', '*missing'];

/** A mutation: bytes in, bytes out, with a name for the failure message. */
type Mutation = [name: string, apply: (r: Rand, b: Buffer) => Buffer];

const lines = (b: Buffer): string[] => b.toString('utf8').split('\n');
const join_ = (ls: string[]): Buffer => Buffer.from(ls.join('\n'), 'utf8');
const valueLines = (ls: string[]): number[] => ls.map((l, i) => (/^\s*(?:- )?[A-Za-z_][\w-]*:\s*\S/.test(l) ? i : -1)).filter((i) => i >= 0);
const keyLines = (ls: string[]): number[] => ls.map((l, i) => (/^\s*(?:- )?[A-Za-z_][\w-]*:/.test(l) ? i : -1)).filter((i) => i >= 0);
const indentOf = (l: string): string => /^\s*(?:- )?/.exec(l)![0].replace('- ', '  ');
/** Replaces the value of a random `key: value` line. */
const setValue = (r: Rand, b: Buffer, value: (r: Rand) => string): Buffer => {
  const ls = lines(b);
  const vs = valueLines(ls);
  if (vs.length === 0) return b;
  const i = pick(r, vs);
  ls[i] = ls[i]!.replace(/^(\s*(?:- )?[A-Za-z_][\w-]*:)\s*.*$/, (_, k: string) => `${k} ${value(r)}`);
  return join_(ls);
};
const deep = (r: Rand): string => {
  // 100,000 levels cost the parser ~1 s: one deep variant in twelve.
  const n = pick(r, [MAX_DEPTH - 1, MAX_DEPTH + 1, MAX_DEPTH + 1, 1000, 1000, 1000, 5000, 5000, 5000, 5000, 5000, 100_000]);
  return pick(r, [`${'['.repeat(n)}${']'.repeat(n)}`, `${'{a: '.repeat(n)}1${'}'.repeat(n)}`]);
};

const MUTATIONS: Mutation[] = [
  ['delete a line', (r, b) => { const ls = lines(b); ls.splice(int(r, 0, ls.length - 1), 1); return join_(ls); }],
  ['delete a key', (r, b) => { const ls = lines(b); const ks = keyLines(ls); if (ks.length) ls.splice(pick(r, ks), 1); return join_(ls); }],
  ['duplicate a key line', (r, b) => { const ls = lines(b); const ks = keyLines(ls); if (ks.length) { const i = pick(r, ks); ls.splice(i, 0, ls[i]!); } return join_(ls); }],
  ['retype a value', (r, b) => setValue(r, b, (q) => pick(q, SCALARS))],
  ['rename a key', (r, b) => { const ls = lines(b); const ks = keyLines(ls); if (ks.length) { const i = pick(r, ks); ls[i] = ls[i]!.replace(/([A-Za-z_][\w-]*):/, (_, k: string) => `${k.slice(0, -1) || 'x'}${pick(r, ['x', '', 'e', '_'])}:`); } return join_(ls); }],
  ['alias cycle', (r, b) => setValue(r, b, (q) => pick(q, ['&c [*c]', '&c {a: *c}', '&c [1, [2, *c]]', '&c {<<: *c}']))],
  ['anchor and alias', (r, b) => { const ls = lines(b); const vs = valueLines(ls); if (vs.length < 2) return b; const i = pick(r, vs); const j = pick(r, vs); ls[i] = ls[i]!.replace(/:\s*/, ': &z '); ls[j] = ls[j]!.replace(/:\s*.*$/, ': *z'); return join_(ls); }],
  ['merge key', (r, b) => { const ls = lines(b); const ks = keyLines(ls); if (!ks.length) return b; const i = pick(r, ks); ls.splice(i, 0, `${indentOf(ls[i]!)}<<: ${pick(r, ['*z', '{a: 1}', '[*z, *z]', '1'])}`); return join_(ls); }],
  ['deep nesting', (r, b) => setValue(r, b, deep)],
  ['deep block nesting', (r, b) => { const ls = lines(b); ls.push(`_ignore:\n${'- '.repeat(pick(r, [200, 200, 5000, 5000, 5000, 100_000]))}x`); return join_(ls); }],
  ['alias chain', (r, b) => { const ls = lines(b); const n = pick(r, [50, 300]); ls.push('_ignore:', '  - &x0 [1]'); for (let i = 1; i < n; i++) ls.push(`  - &x${i} [*x${i - 1}]`); return join_(ls); }],
  ['billion laughs', (r, b) => { const ls = lines(b); ls.push('_ignore:', '  - &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'); for (let i = 0; i < 8; i++) ls.push(`  - &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`); return join_(ls); }],
  ['long string', (r, b) => setValue(r, b, (q) => `"${'x'.repeat(pick(q, [2000, 100_000]))}"`)],
  ['invalid UTF-8', (r, b) => { const at = int(r, 0, b.length); return Buffer.concat([b.subarray(0, at), Buffer.from([pick(r, [0xff, 0xc3, 0xe2, 0x80, 0xed])]), b.subarray(at)]); }],
  ['UTF-8 byte order mark', (_r, b) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b])],
  ['UTF-16 byte order mark', (_r, b) => Buffer.concat([Buffer.from([0xff, 0xfe]), b])],
  ['tab indentation', (r, b) => { const ls = lines(b); const i = int(r, 0, ls.length - 1); ls[i] = ls[i]!.replace(/^ +/, '\t'); return join_(ls); }],
  ['truncate', (r, b) => b.subarray(0, int(r, 0, b.length))],
  ['random bytes', (r, b) => { const out = Buffer.from(b); for (let k = int(r, 1, 8); k > 0 && out.length; k--) out[int(r, 0, out.length - 1)] = int(r, 0, 255); return out; }],
  ['control characters', (r, b) => setValue(r, b, (q) => pick(q, ['"a\\r\\nb"', 'a\u0000b', '"\\u202e"', 'caf\u00e9']))],
];

const TEN_MB: Mutation = ['10 MB string', (r, b) => setValue(r, b, (q) => (q() < 0.5 ? `"${'y'.repeat(10 * 1024 * 1024)}"` : 'z'.repeat(10 * 1024 * 1024)))];

function variant(r: Rand, sources: Buffer[], allowSlow: boolean): { bytes: Buffer; applied: string[] } {
  let bytes = pick(r, sources);
  const applied: string[] = [];
  for (let k = int(r, 1, 3); k > 0; k--) {
    const m = allowSlow && k === 1 && r() < 0.5 ? TEN_MB : pick(r, MUTATIONS);
    bytes = m[1](r, bytes);
    applied.push(m[0]);
  }
  return { bytes, applied };
}

/** Checks one in-process load; returns what to print on failure, or null. */
function checkLoad(file: string): { ok: boolean; ms: number } {
  const t0 = performance.now();
  const r = loadConfigFile(file);
  const ms = performance.now() - t0;
  for (const d of r.ok ? r.warnings : [...r.errors, ...r.warnings]) {
    expect(d.line, d.message).toBeGreaterThanOrEqual(1);
    expect(d.column, d.message).toBeGreaterThanOrEqual(1);
    expect(d.message.length).toBeLessThan(1200);
    expect(d.message).not.toMatch(/^cannot load the configuration/); // the loader's last-resort catch
  }
  if (r.ok) {
    // The walks of a loaded configuration: diff against itself and /config redaction.
    expect(diffConfigs(r.config, r.config).changes).toEqual([]);
    JSON.stringify(redactConfig(r.config));
  }
  return { ok: r.ok, ms };
}

describe('config fuzz', () => {
  const sources = configFiles().filter((f) => /\.ya?ml$/.test(f)).map((f) => readFileSync(f));
  const dir = tempDir('sluice-fuzz-');

  it('has the repository gateway.yaml and the Kong corpus to mutate', () => {
    expect(sources.length).toBeGreaterThan(10);
  });

  it(`loads up to ${ITERATIONS} mutated files in process: errors with positions, never a throw (seed ${SEED})`, () => {
    const r = rng(SEED);
    const started = performance.now();
    let done = 0;
    let valid = 0;
    let slowest = 0;
    for (let i = 0; i < ITERATIONS && performance.now() - started < BUDGET_MS; i++) {
      const { bytes, applied } = variant(r, sources, i % 250 === 7);
      const file = join(dir, `variant-${i}.yaml`);
      writeFileSync(file, bytes);
      let res: { ok: boolean; ms: number };
      try {
        res = checkLoad(file);
      } catch (e) {
        throw new Error(`seed ${SEED} variant ${i} (${applied.join(', ')}), kept at ${file}: ${(e as Error).stack ?? String(e)}`);
      }
      expect(res.ms, `seed ${SEED} variant ${i} (${applied.join(', ')}) took ${Math.round(res.ms)} ms`).toBeLessThan(MAX_MS);
      expect(process.memoryUsage().rss, `seed ${SEED} variant ${i} (${applied.join(', ')})`).toBeLessThan(MAX_RSS_IN_PROCESS);
      if (res.ok) valid++;
      slowest = Math.max(slowest, res.ms);
      done++;
    }
    console.log(`config fuzz: ${done} variants in ${Math.round(performance.now() - started)} ms (seed ${SEED}), ${valid} valid, slowest ${Math.round(slowest)} ms`);
    // The budget bounds the time; on a loaded machine fewer variants fit (~200 on an idle 2-core one).
    expect(done).toBeGreaterThan(40);
    // Some mutations leave a file valid (a deleted optional key): the valid path is exercised too.
    expect(valid).toBeGreaterThan(0);
  }, BUDGET_MS + 60_000);

  it(`sluice validate (the real CLI) on ${CLI_SAMPLE} hostile variants: exit 0 or 1, no stack trace, bounded time and memory`, () => {
    const r = rng(SEED + 1);
    const fixed: Array<[string, Buffer]> = [
      ['issue-15 alias cycle', Buffer.from('_format_version: "3.0"\na: &a [*a]\nservices: []\n')],
      ['100,000-level nesting', Buffer.from(`_format_version: "3.0"\na: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`)],
      ['10 MB string in an invalid file', Buffer.from(`_format_version: "3.0"\nservices:\n  - name: a\n    url: http://127.0.0.1:9\n    tagz: ["${'x'.repeat(10 * 1024 * 1024)}"]\n`)],
    ];
    const cases: Array<[string, Buffer]> = [...fixed];
    while (cases.length < CLI_SAMPLE) {
      const { bytes, applied } = variant(r, sources, false);
      cases.push([applied.join(', '), bytes]);
    }
    cases.forEach(([what, bytes], i) => {
      const file = join(dir, `cli-${i}.yaml`);
      writeFileSync(file, bytes);
      const t0 = performance.now();
      // The memory bound: a heap over 1 GB makes node abort, which fails the exit code check.
      const p = spawnSync(process.execPath, [`--max-old-space-size=${MAX_RSS / 1024 / 1024}`, BIN, 'validate', '-c', file], { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
      const ms = performance.now() - t0;
      const stderr = p.stderr;
      const label = `case ${i} (${what}), kept at ${file}`;
      expect(p.signal, label).toBeNull();
      expect([0, 1], `${label}: exit ${p.status}\n${stderr}`).toContain(p.status);
      expect(stderr, label).not.toMatch(STACK);
      expect(p.stdout, label).not.toMatch(STACK);
      expect(p.stdout, label).toMatch(/: (valid|invalid) \(/);
      if (p.status === 1) expect(p.stdout, label).toMatch(/^.+:\d+:\d+ .+$/m);
      expect(ms, label).toBeLessThan(MAX_MS + 5_000); // + node start-up on a busy machine
    });
  }, 120_000);
});
