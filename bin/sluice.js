#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  // A checkout where nothing has built dist/ yet (`npm ci --ignore-scripts`): build it once,
  // with its messages on stderr so that --json output stays clean.
  const build = new URL('../scripts/build-if-stale.js', import.meta.url);
  if (existsSync(build)) spawnSync(process.execPath, [fileURLToPath(build)], { stdio: ['ignore', 2, 2] });
}
const { main } = await import(entry.href);
main(process.argv.slice(2)).then((code) => { if (typeof code === 'number') process.exitCode = code; });
