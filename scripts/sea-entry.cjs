// The single executable's main script (dist/sluice, scripts/build-binary.js). Extracts the
// embedded assets (worker script, schemas, validators, the uWS .node file) once into a private
// directory, <tmpdir>/sluice-<uid>/<assets hash>/, then runs the CLI. The directory must be
// owned by this uid with no group/other access, or the binary refuses to start: another user
// could otherwise plant a .node file that this process would load. It is the only place the
// binary writes, so a read-only root file system with a writable /tmp (or $TMPDIR) works.
'use strict';
const sea = require('node:sea');
const fs = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');
const { useRoot } = require('./sea-common.cjs');

function fail(message) {
  process.stderr.write(`sluice: ${message}\n`);
  process.exit(1);
}

function privateDir() {
  const uid = process.getuid();
  const base = join(tmpdir(), `sluice-${uid}`);
  try {
    fs.mkdirSync(base, { mode: 0o700 });
  } catch (e) {
    if (e.code !== 'EEXIST') fail(`cannot create its private directory ${base}: ${e.message} (set TMPDIR to a writable directory)`);
  }
  const st = fs.lstatSync(base);
  if (!st.isDirectory() || st.isSymbolicLink()) fail(`${base} is not a directory; remove it`);
  if (st.uid !== uid) fail(`${base} belongs to uid ${st.uid}, not to this user (uid ${uid}); remove it or set TMPDIR`);
  if ((st.mode & 0o077) !== 0) fail(`${base} is accessible to other users (mode ${(st.mode & 0o777).toString(8)}); it must be 700`);
  return base;
}

function extract() {
  const manifest = JSON.parse(Buffer.from(sea.getRawAsset('manifest.json')).toString('utf8'));
  const base = privateDir();
  const root = join(base, manifest.hash);
  if (fs.existsSync(join(root, '.complete'))) return { root, manifest };
  const tmp = fs.mkdtempSync(join(base, `.${manifest.hash}-`));
  try {
    for (const name of ['manifest.json', ...manifest.files]) {
      const file = join(tmp, name);
      fs.mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, Buffer.from(sea.getRawAsset(name)), { mode: name.endsWith('.node') ? 0o700 : 0o600 });
    }
    fs.writeFileSync(join(tmp, '.complete'), '');
    try {
      fs.renameSync(tmp, root);
    } catch (e) {
      // Another sluice extracted the same assets first: use theirs.
      if (e.code !== 'EEXIST' && e.code !== 'ENOTEMPTY') throw e;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    fail(`cannot extract into ${base}: ${e.message}`);
  }
  return { root, manifest };
}

const { root, manifest } = extract();
useRoot(root, manifest);

if (process.argv[2] === '__lazy-modules') {
  // For test/binary: loads every module src/lazy.ts loads by name, as bundled here.
  const table = require('sluice-lazy-table');
  const out = {};
  for (const id of Object.keys(table)) {
    try {
      const m = table[id]();
      out[id] = m !== undefined && m !== null ? 'ok' : 'empty';
    } catch (e) {
      out[id] = `error: ${e.message}`;
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

const { main } = require('../dist/cli/main.js');
main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`sluice: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 1;
  },
);
