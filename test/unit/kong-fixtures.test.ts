/**
 * test/fixtures/kong/ is the repository's copy of the Kong declarative-config corpus
 * (../shared/compat/kong/, with MANIFEST.tsv and its `source` column), so the tests pass on a
 * fresh clone anywhere. When the shared corpus is beside the repository, the copy must be the
 * same, file for file: refresh it with `scripts/sync-kong-fixtures.sh`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const copy = join(repoRoot, 'test', 'fixtures', 'kong');
const shared = resolve(repoRoot, '..', 'shared', 'compat', 'kong');

const list = (dir: string) => readdirSync(dir, { recursive: true }).map(String).filter((f) => !f.endsWith('/')).sort();

describe('test/fixtures/kong', () => {
  it('has every file its MANIFEST.tsv lists, each with a source', () => {
    const rows = readFileSync(join(copy, 'MANIFEST.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
    const header = rows.shift()!;
    const file = header.indexOf('file');
    const source = header.indexOf('source');
    expect(file).toBeGreaterThanOrEqual(0);
    expect(source).toBeGreaterThanOrEqual(0);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(existsSync(join(copy, r[file]!)), r[file]).toBe(true);
      expect(r[source], r[file]).toMatch(/\S/);
    }
  });

  it.skipIf(!existsSync(shared))('is the same as ../shared/compat/kong/', () => {
    expect(list(copy)).toEqual(list(shared));
    for (const f of list(shared)) expect(readFileSync(join(copy, f)).equals(readFileSync(join(shared, f))), f).toBe(true);
  });
});
