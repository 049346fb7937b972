/**
 * The configuration validators are compiled ahead of time (dist/config/validators.cjs, written by
 * `npm run build`) and, when that file is missing or stale, at run time. Both must behave the
 * same on every input, valid or not: same verdict, same errors, same defaults filled in.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configFiles, repoRoot, rng } from './helpers.js';
import { compileAtRuntime, loadPrecompiled, schemaInputs, schemasDir, secretChains, validators, type Validators } from '../../../src/config/validators.js';


type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every configuration file we have, parsed. */
function documents(): Array<[string, Json]> {
  return configFiles().map((f) => [f.slice(repoRoot.length - 4), parse(readFileSync(f, 'utf8')) as Json]);
}

const WRONG: Json[] = [null, 7, -1, 1.5, 'x', '', true, [], {}, ['a', 3], { unknown: 1 }, '{vault://env/X}', 'http://', '999.1.1.1'];

/** `n` variants of `doc`, each with a few values replaced by wrong ones (wrong types, bad strings, unknown keys). */
function mutants(doc: Json, n: number, seed: number): Json[] {
  const next = rng(seed);
  const out: Json[] = [];
  for (let i = 0; i < n; i++) {
    const copy = structuredClone(doc);
    for (let k = 0; k < 3; k++) {
      const slots: Array<[Json[] | { [k: string]: Json }, string | number]> = [];
      const walk = (v: Json): void => {
        if (Array.isArray(v)) v.forEach((x, j) => (slots.push([v, j]), walk(x)));
        else if (v !== null && typeof v === 'object') for (const key of Object.keys(v)) (slots.push([v, key]), walk(v[key]!));
      };
      walk(copy);
      if (slots.length === 0) break;
      const [parent, key] = slots[Math.floor(next() * slots.length)]!;
      const value = WRONG[Math.floor(next() * WRONG.length)]!;
      if (next() < 0.2 && !Array.isArray(parent)) (parent as Record<string, Json>)[`bogus_${k}`] = value;
      else (parent as Record<string | number, Json>)[key] = structuredClone(value);
    }
    out.push(copy);
  }
  return out;
}

/** Runs `v` on a copy of `data`: the verdict, ajv's errors, and the data with defaults filled in. */
function run(v: Validators['gateway'], data: Json): { ok: boolean; errors: unknown; data: Json } {
  const copy = structuredClone(data);
  const ok = v(copy) as boolean;
  return { ok, errors: structuredClone(v.errors ?? null), data: copy };
}

/** Every plugin entry (`{name, config}`) anywhere in a document. */
function pluginEntries(doc: Json): Array<{ name: string; config: Json }> {
  const out: Array<{ name: string; config: Json }> = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      if (Array.isArray(v.plugins)) for (const p of v.plugins) if (p && typeof p === 'object' && !Array.isArray(p) && typeof p.name === 'string') out.push({ name: p.name, config: p.config ?? {} });
      for (const x of Object.values(v)) walk(x);
    }
  };
  walk(doc);
  return out;
}

describe('configuration validators', () => {
  const pre = loadPrecompiled();
  const runtime = compileAtRuntime();

  it('are precompiled by the build and used by default', () => {
    expect(pre, 'dist/config/validators.cjs is missing or stale: run npm run build').not.toBeNull();
    expect(validators().source).toBe('precompiled');
  });

  it('a stale precompiled module (schemas changed since the build) is not used', () => {
    expect(loadPrecompiled({ ...schemaInputs(), hash: 'edited-since-build' })).toBeNull();
  });

  it('precompiled and run-time validators agree on every document and on broken variants of them', () => {
    const docs = documents();
    expect(docs.length).toBeGreaterThan(3);
    let invalid = 0;
    for (const [name, doc] of docs) {
      for (const [i, d] of [doc, ...mutants(doc, 12, name.length * 7919)].entries()) {
        const a = run(pre!.gateway, d);
        const b = run(runtime.gateway, d);
        expect(a, `${name} variant ${i}`).toEqual(b);
        if (!a.ok) invalid++;
      }
    }
    // The mutants must really exercise the error paths.
    expect(invalid).toBeGreaterThan(docs.length * 6);
  });

  it('precompiled and run-time plugin validators agree, valid configs and broken ones', () => {
    const entries = documents().flatMap(([, d]) => pluginEntries(d));
    const names = new Set(entries.map((e) => e.name));
    for (const file of readdirSync(join(schemasDir(), 'plugins'))) names.add(file.replace(/\.json$/, ''));
    let compared = 0;
    for (const name of names) {
      const a = pre!.plugin(name);
      const b = runtime.plugin(name);
      expect(a === undefined, name).toBe(b === undefined);
      if (!a || !b) continue;
      const configs: Json[] = [{}, ...entries.filter((e) => e.name === name).map((e) => e.config)];
      for (const [i, c] of configs.flatMap((c, j) => [c, ...mutants(c, 6, j + name.length)]).entries()) {
        expect(run(a, c), `${name} config ${i}`).toEqual(run(b, c));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('secretChains finds every x-secret field of every plugin schema', () => {
    for (const file of readdirSync(join(schemasDir(), 'plugins'))) {
      const text = readFileSync(join(schemasDir(), 'plugins', file), 'utf8');
      const marked = text.match(/"x-secret":\s*true/g)?.length ?? 0;
      expect(secretChains(JSON.parse(text)).length, file).toBe(marked);
    }
    expect(secretChains(JSON.parse(readFileSync(join(schemasDir(), 'plugins', 'rate-limiting.json'), 'utf8')))).toContainEqual(['redis', 'password']);
  });

  it('validating a configuration loads neither ajv nor the libraries only some plugins use', () => {
    // A fresh process: load and validate gateway.yaml (no Redis, JWT or log shipper in it), then
    // list which of the lazily loaded libraries ended up in the module cache.
    const script = `
      import { createRequire } from 'node:module';
      await import(${JSON.stringify(join(repoRoot, 'dist', 'plugins', 'catalogue.js'))});
      const { loadConfigFile } = await import(${JSON.stringify(join(repoRoot, 'dist', 'config', 'index.js'))});
      const r = loadConfigFile(${JSON.stringify(join(repoRoot, 'gateway.yaml'))});
      if (!r.ok) throw new Error('gateway.yaml is invalid');
      const cache = Object.keys(createRequire(import.meta.url).cache);
      const loaded = ['ajv/dist/ajv', 'ajv/dist/core', 'ioredis', 'jose', 'undici', 'bcryptjs'].filter((m) => cache.some((p) => p.includes('/node_modules/' + m)));
      console.log(JSON.stringify(loaded));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out.trim())).toEqual([]);
  });
});
