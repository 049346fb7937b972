import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// The import rules of ARCHITECTURE.md ("What must never import what"), read from the document
// itself so the rules a reader sees and the rules this test enforces cannot drift apart.

const ROOT = join(import.meta.dirname, '..', '..');

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
  line: number;
}

interface Rule {
  from: string;
  to: string;
  /** Only run-time imports break the rule (`import type` is allowed). */
  runtimeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every relative import and re-export in src/, resolved to a repository path. */
function importEdges(): Edge[] {
  const edges: Edge[] = [];
  const re = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'(\.[^']+)'/gm;
  for (const file of sourceFiles('src')) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(re)) {
      const target = normalize(join(dirname(file), m[2]!)).replace(/\.js$/, '.ts');
      const line = text.slice(0, m.index).split('\n').length;
      edges.push({ from: file, to: target, typeOnly: m[1] !== undefined, line });
    }
    // `await import('...')` is a run-time edge too.
    for (const m of text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)) {
      const target = normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts');
      edges.push({ from: file, to: target, typeOnly: false, line: text.slice(0, m.index).split('\n').length });
    }
  }
  return edges;
}

/** The table under "## What must never import what": `| from | never imports |`. */
function rulesFromArchitecture(): Rule[] {
  const doc = readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
  const start = doc.indexOf('## What must never import what');
  expect(start, 'ARCHITECTURE.md has a "What must never import what" section').toBeGreaterThan(-1);
  const end = doc.indexOf('\n## ', start + 5);
  const section = doc.slice(start, end === -1 ? undefined : end);
  const rules: Rule[] = [];
  for (const row of section.split('\n')) {
    const cells = row.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1]!.startsWith('`src/')) continue;
    const froms = [...cells[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    for (const item of cells[2]!.split(',')) {
      const to = /`([^`]+)`/.exec(item)?.[1];
      if (to === undefined) continue;
      for (const from of froms) rules.push({ from, to, runtimeOnly: /run[- ]time/.test(item) });
    }
  }
  return rules;
}

function under(path: string, prefix: string): boolean {
  return prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix;
}

describe('import rules (ARCHITECTURE.md)', () => {
  const edges = importEdges();
  const rules = rulesFromArchitecture();

  it('reads a real rule table and a real import graph', () => {
    expect(rules.length).toBeGreaterThan(10);
    expect(edges.length).toBeGreaterThan(100);
    // The parser sees the kinds of import it must judge: a type-only one and a run-time one.
    expect(edges.some((e) => e.typeOnly)).toBe(true);
    expect(edges.some((e) => e.from === 'src/server/worker.ts' && !e.typeOnly)).toBe(true);
  });

  it('has no forbidden edge', () => {
    const broken: string[] = [];
    for (const e of edges) {
      for (const r of rules) {
        if (!under(e.from, r.from) || !under(e.to, r.to)) continue;
        if (r.runtimeOnly && e.typeOnly) continue;
        broken.push(`${e.from}:${e.line} imports ${relative('.', e.to)} (rule: ${r.from} never imports ${r.to}${r.runtimeOnly ? ' at run time' : ''})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('finds a forbidden edge when one is there', () => {
    // The same matcher on a made-up edge, so a rule table that matched nothing would show here.
    const fake: Edge = { from: 'src/router/tree.ts', to: 'src/proxy/http.ts', typeOnly: false, line: 1 };
    expect(rules.some((r) => under(fake.from, r.from) && under(fake.to, r.to))).toBe(true);
  });

  it('keeps retries and health out of the proxy, and the wrapping clients off concrete clients', () => {
    const forbidden = (from: string, to: string) => rules.some((r) => under(from, r.from) && under(to, r.to) && !r.runtimeOnly);
    expect(forbidden('src/proxy/http.ts', 'src/upstream/retry.ts')).toBe(true);
    expect(forbidden('src/proxy/upstream-exchange.ts', 'src/upstream/passive-health.ts')).toBe(true);
    expect(forbidden('src/proxy/response-writer.ts', 'src/upstream/client.ts')).toBe(true);
    expect(forbidden('src/upstream/retry.ts', 'src/upstream/h1/pool.ts')).toBe(true);
    expect(forbidden('src/upstream/passive-health.ts', 'src/upstream/undici.ts')).toBe(true);
  });

  it('has no import cycle between folders of src/', () => {
    const folder = (p: string) => p.split('/').slice(0, 2).join('/');
    const graph = new Map<string, Set<string>>();
    for (const e of edges) {
      if (e.typeOnly) continue;
      const a = folder(e.from);
      const b = folder(e.to);
      if (a === b || !b.startsWith('src/') || !b.includes('/')) continue;
      if (!graph.has(a)) graph.set(a, new Set());
      graph.get(a)!.add(b);
    }
    const cycles: string[] = [];
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const visit = (n: string) => {
      state.set(n, 1);
      stack.push(n);
      for (const m of graph.get(n) ?? []) {
        if (state.get(m) === 1) cycles.push([...stack.slice(stack.indexOf(m)), m].join(' → '));
        else if (state.get(m) === undefined) visit(m);
      }
      stack.pop();
      state.set(n, 2);
    };
    for (const n of graph.keys()) if (state.get(n) === undefined) visit(n);
    expect(cycles).toEqual([]);
  });
});
