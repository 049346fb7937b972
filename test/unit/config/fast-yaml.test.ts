/**
 * The loader reads a file with js-yaml first (src/config/fast-yaml.ts) and gives way to `yaml`
 * whenever the two could differ or a diagnostic needs exact positions. Whichever pass reads a
 * file, the result must be the one `yaml` alone gives: same verdict, same errors and warnings at
 * the same FILE:LINE:COL, same Config down to every entity's position and the hash.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigString } from '../../../src/config/index.js';
import { parseFast } from '../../../src/config/fast-yaml.js';
import { parseYaml } from '../../../src/config/load.js';
import { configFiles, repoRoot, rng, y } from './helpers.js';

/** The corpus leaves `{vault://env/...}` unresolved on purpose: give every variable a value. */
const env = new Proxy({} as NodeJS.ProcessEnv, { get: (_t, name) => (typeof name === 'string' ? `env-${name}` : undefined) });

function both(text: string, file = 'gw.yaml'): { fast: unknown; exact: unknown } {
  return { fast: loadConfigString(text, file, { env }), exact: loadConfigString(text, file, { env, exact: true }) };
}

/** Scalars the two parsers could read differently, and YAML features the fast pass hands over. */
const TRICKY = [
  '0b101', '+0x1f', '-0x1f', '0x1F', '0o17', '017', '+12', '-0', '1_000', '1e3', '.5', '5.', '-.inf', '.NaN', '12:30:00',
  '2024-01-01', 'yes', 'off', '~', 'Null', '!!float 1', '!!int "12"', '!!str 12', '!!binary aGk=', '!Ref x', '&a x', '*a',
  '"a\\x41"', "'it''s'", '[1, 2]', '{a: 1}', '|\n  text', '>-\n  folded', '"\\q"', '@x', '`x', '% x',
];
// FUZZ_VARIANTS=200 FUZZ_SEED=7 npx vitest run test/unit/config/fast-yaml.test.ts searches further.
const VARIANTS = Number(process.env.FUZZ_VARIANTS ?? 12);
const SEED = Number(process.env.FUZZ_SEED ?? 1000);

const KEY_VALUE = /^(\s*-?\s*)([A-Za-z_]+): (\S[^]*)$/;
const CHARS = [' ', '  ', ':', ': ', '-', '- ', '#', ' #', '\n', '"', "'", '{', '[', ']', '&a ', '*a', '!', '\t', 'x', '0', '~', '<<: {a: 1}\n'];

/** `n` variants of a YAML text, each with one or two edits: characters, lines, indentation, tricky scalars. */
function textMutants(text: string, n: number, seed: number): string[] {
  const next = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)]!;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let t = text;
    for (let k = next() < 0.5 ? 1 : 2; k > 0; k--) {
      const lines = t.split('\n');
      const at = Math.floor(next() * lines.length);
      const op = Math.floor(next() * 6);
      if (op === 0) {
        const p = Math.floor(next() * t.length);
        t = t.slice(0, p) + t.slice(p + 1);
      } else if (op === 1) {
        const p = Math.floor(next() * t.length);
        t = t.slice(0, p) + pick(CHARS) + t.slice(p);
      } else if (op === 2) {
        lines.splice(at, 0, lines[at] ?? '');
        t = lines.join('\n');
      } else if (op === 3) {
        lines[at] = next() < 0.5 ? `  ${lines[at]}` : (lines[at] ?? '').replace(/^ {1,2}/, '');
        t = lines.join('\n');
      } else {
        // A value after `key: ` replaced by a tricky scalar (or the key itself, a third of the time).
        const candidates = lines.flatMap((l, j) => {
          const m = KEY_VALUE.exec(l);
          return m === null ? [] : [[m, j] as const];
        });
        if (candidates.length === 0) continue;
        const [m, j] = pick(candidates);
        lines[j] = next() < 0.33 ? `${m[1]}${pick(TRICKY)}: ${m[3]}` : `${m[1]}${m[2]}: ${pick(TRICKY)}`;
        t = lines.join('\n');
      }
    }
    out.push(t);
  }
  return out;
}

const PLAIN = [
  'a', 'x y', 'http://h:8/p?q=1&r=2', '/api/v1', '~/rx/\\d+$', '*.example.com', 'GET', '0', '12', '-3', '0o17', '0x1F', '0b11', '+0x1',
  '1e3', '1.5', '.5', '5.', '.inf', '-.Inf', '.nan', 'true', 'True', 'FALSE', 'yes', 'no', 'null', 'Null', '~', '2024-01-01', '12:30',
  '1_000', 'a:b', 'a#b', 'a - b', 'é', '日本', '$(headers.x)', '"', "it's", '100%', '@', '`x`', '-', '--', '- a', 'a: b', '? x', '{x}',
  '[x]', ',', 'a,b', '&a', '*a', '!x', '|', '>', '%x', '#x',
];
const KEYS = ['name', 'url', 'paths', 'config', 'x-y', 'with space', '1', 'true', 'null', '~', '<<', '"q"', "'s'", 'é', 'k:v', 'k#', '-k', '? k'];

/** A random YAML document: block and flow collections, every scalar style, odd keys; often invalid. */
function randomDocument(next: () => number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)]!;
  const key = (i: number): string => {
    const k = pick(KEYS);
    return k === '<<' ? k : k + (next() < 0.7 ? i : '');
  };
  const scalar = (indent: number): string => {
    const s = pick(PLAIN);
    const r = next();
    if (r < 0.45) return s;
    if (r < 0.65) return JSON.stringify(s);
    if (r < 0.8) return `'${s.replace(/'/g, "''")}'`;
    if (r < 0.9) return `${pick(['|', '|-', '|+', '>', '>-', '|2'])}\n${' '.repeat(indent + 2)}${s}${next() < 0.5 ? `\n${' '.repeat(indent + 2)}${pick(PLAIN)}` : ''}`;
    return pick(['"a\\nb"', '"\\t\\u00e9"', '"\\x41"', '"a\\\n  b"', "'a\n  b'", `a\n${' '.repeat(indent + 2)}b`, '""', "''", '"\\q"']);
  };
  const flow = (depth: number): string => {
    if (depth > 2 || next() < 0.4) return next() < 0.5 ? pick(PLAIN.filter((p) => !/[,[\]{}#:]/.test(p))) : JSON.stringify(pick(PLAIN));
    const n = Math.floor(next() * 3);
    if (next() < 0.5) return `[${Array.from({ length: n }, () => flow(depth + 1)).join(', ')}]`;
    return `{${Array.from({ length: n }, (_, i) => `${pick(KEYS.filter((k) => !/[,:#"'?]/.test(k)))}${i}: ${flow(depth + 1)}`).join(', ')}}`;
  };
  const node = (indent: number, depth: number): string => {
    const r = next();
    if (depth > 3 || r < 0.35) return ` ${scalar(indent)}`;
    if (r < 0.5) return ` ${flow(0)}`;
    let out = '';
    const n = 1 + Math.floor(next() * 3);
    if (r < 0.75) {
      const ind = indent + pick([2, 2, 4, 1]);
      for (let i = 0; i < n; i++) out += `\n${' '.repeat(ind)}${key(i)}:${node(ind, depth + 1)}${next() < 0.1 ? ' # c' : ''}`;
      return out;
    }
    const ind = indent + pick([0, 2, 2, 4]);
    for (let i = 0; i < n; i++) {
      if (next() < 0.4) {
        out += `\n${' '.repeat(ind)}- ${key(i)}:${node(ind + 2, depth + 1)}`;
        if (next() < 0.5) out += `\n${' '.repeat(ind + 2)}${key(i + 7)}:${node(ind + 2, depth + 1)}`;
      } else out += `\n${' '.repeat(ind)}-${node(ind, depth + 1)}`;
    }
    return out;
  };
  let out = (next() < 0.1 ? '---\n' : '') + (next() < 0.1 ? '# top\n' : '');
  for (let i = 0, n = 1 + Math.floor(next() * 4); i < n; i++) out += `${key(i)}:${node(0, 0)}\n${next() < 0.1 ? '\n' : ''}`;
  return next() < 0.05 ? out.replace(/\n/g, '\r\n') : out;
}

describe('js-yaml fast pass vs yaml', () => {
  const files = configFiles().map((f) => [f.slice(repoRoot.length - 4), readFileSync(f, 'utf8')] as const);

  it('reads every configuration file we have as yaml does, and takes the fast pass for the valid ones', () => {
    expect(files.length).toBeGreaterThan(40);
    let fastValid = 0;
    for (const [name, text] of files) {
      const { fast, exact } = both(text, name);
      expect(fast, name).toEqual(exact);
      if ((exact as { ok: boolean }).ok) {
        const parsed = parseYaml(text, name);
        expect(parsed.ok && parsed.doc.exact, name).toBe(false);
        fastValid++;
      }
    }
    expect(fastValid).toBeGreaterThan(20);
  });

  it('gives the same result on 550 edited variants of them (broken YAML, tricky scalars, tags, anchors, indentation)', () => {
    let fastParsed = 0;
    let valid = 0;
    files.forEach(([name, text], i) => {
      for (const [j, t] of textMutants(text, VARIANTS, SEED + i * 7919).entries()) {
        const { fast, exact } = both(t, name);
        expect(fast, `${name} variant ${j}:\n${t}`).toEqual(exact);
        if (parseFast(t) !== null) fastParsed++;
        if ((exact as { ok: boolean }).ok) valid++;
      }
    });
    // The comparison means something only if many variants got through the fast pass, valid or not.
    expect(fastParsed).toBeGreaterThan(150);
    expect(valid).toBeGreaterThan(25);
  });

  it('the same with Windows line endings and a byte order mark', () => {
    for (const [name, text] of files.slice(0, 10)) {
      for (const t of [text.replace(/\n/g, '\r\n'), `\ufeff${text}`]) {
        const { fast, exact } = both(t, name);
        expect(fast, name).toEqual(exact);
      }
    }
  });

  it('hands over to yaml where the two parsers read the same text differently', () => {
    const base = (line: string): string => y('_format_version: "3.0"', 'services:', '  - name: a', '    url: http://127.0.0.1:9', `    tags: [${line}]`);
    // js-yaml's own schema reads these as numbers; YAML 1.2's core schema (yaml) keeps strings.
    for (const v of ['0b101', '+0x1f']) {
      const r = loadConfigString(base(v), 'gw.yaml', { env });
      expect(r.ok && r.config.services[0]!.tags).toEqual([v]);
    }
    // Anchors: yaml bounds alias expansion, js-yaml shares objects.
    expect(parseFast(y('a: &x {b: 1}', 'c: *x'))).toBeNull();
    // A null key: "" for yaml, "null" for js-yaml.
    expect(parseFast(y('~: 1'))).toBeNull();
    // A quoted scalar or flow collection continued on a line indented too little: js-yaml accepts
    // it, yaml does not (found by the variants above).
    const broken = y('_format_version: "3.0"', 'services:', '  - name: a', '    url: http://127.0.0.1:9', '    tags: ["a', 'b"]');
    expect(parseFast(broken)).toBeNull();
    expect(loadConfigString(broken, 'gw.yaml', { env }).ok).toBe(false);
    expect(parseFast(y('a: [1,', '  2]'))).toBeNull();
    expect(parseFast(y('a: "x', '  y"'))).toBeNull();
    expect(parseFast(y('a: |', '  x', '  y', 'b:', '  - c: 1', '    d: 2'))).not.toBeNull();
    // YAML 1.1 reads `yes` as true for yaml; a key over 1,024 characters is an error for yaml.
    const v11 = `%YAML 1.1\n---\n${base('x')}    enabled: yes\n`;
    expect(parseFast(v11)).toBeNull();
    const r11 = loadConfigString(v11, 'gw.yaml', { env });
    expect(r11.ok && r11.config.services[0]!.enabled).toBe(true);
    expect(parseFast(`${'k'.repeat(1100)}: 1\n`)).toBeNull();
    // Not a mapping at the top: yaml's messages.
    expect(parseFast(y('- a'))).toBeNull();
    expect(parseFast('')).toBeNull();
    // Merge keys (js-yaml merges sources yaml rejects), and empty items or sequences nested on
    // their parent's line (js-yaml can attach the next, less indented item to the inner
    // sequence): found by the random documents below.
    const merged = y('_format_version: "3.0"', 'services:', '  - <<: {url: "http://127.0.0.1:9"}', '    name: a');
    expect(parseFast(merged)).toBeNull();
    expect(loadConfigString(merged, 'gw.yaml', { env }).ok).toBe(true);
    expect(parseFast(y('a:', '  - -', '  - -k: x'))).toBeNull();
    expect(parse(y('a:', '  - -', '  - -k: x'))).toEqual({ a: [[null], { '-k': 'x' }] });
    expect(parseFast(y('a:', '  - b:', '    - #empty', '  - c'))).toBeNull();
  });

  it('reads 4,000 random documents (every YAML style, odd keys and scalars) as yaml does, or hands them over', () => {
    const next = rng(SEED);
    let fastParsed = 0;
    for (let i = 0; i < 4000; i++) {
      const text = randomDocument(next);
      const fast = parseFast(text);
      if (fast === null) continue;
      fastParsed++;
      // Whatever the fast pass accepts, yaml accepts with the same value.
      expect(fast.value, text).toEqual(parse(text, { merge: true, uniqueKeys: true, logLevel: 'silent' }));
    }
    expect(fastParsed).toBeGreaterThan(500);
  });

  it('places entities where yaml does, past comments and blank lines', () => {
    const text = y(
      '_format_version: "3.0"', // 1
      'services:', // 2
      '  # first', // 3
      '', // 4
      '  - name: a # trailing', // 5
      '    url: http://127.0.0.1:9', // 6
      '    routes:', // 7
      '    - {name: r, paths: [/a]}', // 8
      'consumers: [ {username: u, keyauth_credentials: [{key: k}]} ]', // 9
    );
    expect(parseFast(text)).not.toBeNull();
    const { fast, exact } = both(text);
    expect(fast).toEqual(exact);
    const r = fast as { ok: true; config: { services: Array<{ pos: unknown }>; routes: Array<{ pos: unknown }>; keyauth_credentials: Array<{ pos: unknown }> } };
    expect(r.config.services[0]!.pos).toEqual({ file: 'gw.yaml', line: 5, column: 5 });
    expect(r.config.routes[0]!.pos).toEqual({ file: 'gw.yaml', line: 8, column: 7 });
    expect(r.config.keyauth_credentials[0]!.pos).toEqual({ file: 'gw.yaml', line: 9, column: 50 });
  });
});
