/**
 * Issue 15 finding 3, end to end: a hostile file written over a running gateway's configuration
 * (an alias cycle used to abort the process) must leave it serving its last good configuration,
 * with the error and its position in /status; a good file afterwards is picked up again.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let up: Upstream;
let gw: GatewayProcess | null = null;

beforeAll(async () => {
  up = await startUpstream();
});
afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

const good = (route: string): string =>
  `_format_version: "3.0"\nservices:\n  - name: svc\n    url: ${up.url}\n    routes:\n      - name: ${route}\n        paths: [/${route}]\n`;

async function status(g: GatewayProcess): Promise<any> {
  return (await fetch(`${g.admin}/status`)).json();
}

async function waitFor(pred: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}

const HOSTILE: Array<[what: string, bytes: Buffer, message: RegExp, line: number]> = [
  ['the issue-15 alias cycle', Buffer.from('_format_version: "3.0"\na: &a [*a]\nservices: []\n'), /alias cycle/, 2],
  ['a cycle inside a plugin config', Buffer.from('_format_version: "3.0"\nplugins:\n  - name: cors\n    config: &c\n      origins: [*c]\n'), /alias cycle/, 5],
  ['100,000 levels of flow nesting', Buffer.from(`_format_version: "3.0"\nservices: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`), /nesting deeper than/, 2],
  ['100,000 levels of block nesting', Buffer.from(`_format_version: "3.0"\n_ignore:\n${'- '.repeat(100_000)}x\n`), /nesting deeper than/, 3],
  ['a chain of aliases 300 deep', Buffer.from(['_format_version: "3.0"', '_ignore:', '  - &x0 [1]', ...Array.from({ length: 299 }, (_, i) => `  - &x${i + 1} [*x${i}]`)].join('\n') + '\n'), /nesting deeper than .*through alias/, 0],
  ['billion laughs', Buffer.from(['_format_version: "3.0"', '_ignore:', '  - &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...Array.from({ length: 8 }, (_, i) => `  - &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n') + '\n'), /Excessive alias count/, 0],
  ['invalid UTF-8', Buffer.concat([Buffer.from('_format_version: "3.0"\nservices:\n  - name: caf'), Buffer.from([0xe9]), Buffer.from('\n')]), /not valid UTF-8/, 3],
  ['a UTF-16 file', Buffer.from('\ufeff_format_version: "3.0"\n', 'utf16le'), /UTF-16/, 1],
  ['tab indentation', Buffer.from('_format_version: "3.0"\nservices:\n\t- name: a\n'), /YAML|tab/i, 0],
];

describe('a hostile configuration written over a running gateway', () => {
  it('keeps serving the last good configuration, with the error in /status, then recovers', async () => {
    gw = await startGateway(good('first'));
    const g = gw;
    expect((await fetch(`${g.url}/first`)).status).toBe(200);
    const goodHash = (await status(g)).config.hash;
    let lastAt: string | null = (await status(g)).reload.at;

    for (const [what, bytes, message, line] of HOSTILE) {
      writeFileSync(g.configPath, bytes);
      await waitFor(async () => {
        const s = await status(g);
        return s.reload.ok === false && s.reload.at !== lastAt && message.test(s.reload.error?.message ?? '');
      }).catch((e: Error) => {
        throw new Error(`${what}: ${e.message}; gateway said:\n${g.lines.slice(-5).join('\n')}`);
      });
      const s = await status(g);
      lastAt = s.reload.at;
      expect(s.config.hash, what).toBe(goodHash);
      if (line > 0) expect(s.reload.error.line, what).toBe(line);
      expect(s.reload.error.column, what).toBeGreaterThanOrEqual(1);
      expect(g.proc.exitCode, what).toBeNull();
      expect((await fetch(`${g.url}/first`)).status, what).toBe(200);
    }
    expect(g.lines.join('\n')).not.toMatch(/RangeError|Maximum call stack|^\s+at /m);

    writeFileSync(g.configPath, good('second'));
    await waitFor(async () => (await fetch(`${g.url}/second`)).status === 200);
    expect((await status(g)).reload).toMatchObject({ ok: true, error: null });
  }, 180_000);
});
