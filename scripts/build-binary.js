// `npm run build:binary` (after `npm run build`): writes dist/sluice, one self-contained
// executable (a Node.js single executable application) holding Node.js and the whole gateway.
//
//   1. esbuild bundles dist/ (main thread and worker thread separately) into CommonJS. Every
//      `import.meta.url` becomes the file's path under the extraction directory (below), so code
//      that reads files beside itself (package.json, schemas/, dist/config/validators.cjs, the
//      worker script) finds them there; every module src/lazy.ts loads by name is bundled too
//      (a generated table of literal require() calls, so the bundler sees each one).
//   2. Node's SEA blob holds the main bundle; assets hold the worker bundle, schemas/, the
//      validators, package.json and the uWS `.node` file for the embedded Node's ABI.
//   3. At start, scripts/sea-entry.cjs extracts the assets once into a private per-uid directory
//      under the temp dir (owner and mode checked) and loads uWS from there with process.dlopen.
//
// Which Node is embedded: SLUICE_SEA_NODE (a path to a node executable), else Node 24 from npm
// (node-linux-<arch>@24). Its ABI picks the uWS build: Node 24 embeds uWS 20.57 (glibc >= 2.38);
// SLUICE_SEA_NODE=$(command -v node) on Node 20 embeds 20.30, for local use on older glibc
// (SLUICE_SEA_OUTPUT=dist/sluice-node20 writes it beside the release one).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const OUT = join(DIST, 'sea');
const require = createRequire(import.meta.url);
const log = (m) => process.stderr.write(`build:binary: ${m}\n`);

if (!existsSync(join(DIST, 'cli', 'main.js')) || !existsSync(join(DIST, 'config', 'validators.cjs'))) {
  throw new Error('dist/ is not built: run `npm run build` first');
}
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

// --- the Node executable to embed -------------------------------------------------------------
function nodeToEmbed() {
  if (process.env.SLUICE_SEA_NODE) return process.env.SLUICE_SEA_NODE;
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  const dir = join(tmpdir(), `sluice-build-node24-${process.getuid?.() ?? 0}`);
  const bin = join(dir, 'node_modules', `node-linux-${arch}`, 'bin', 'node');
  if (!existsSync(bin)) {
    log(`fetching Node 24 (node-linux-${arch}@24) from npm`);
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['install', '--silent', '--no-save', '--no-audit', '--no-fund', '--prefix', dir, `node-linux-${arch}@24`], { stdio: 'inherit' });
  }
  return bin;
}
const node = nodeToEmbed();
const nodeInfo = JSON.parse(execFileSync(node, ['-p', 'JSON.stringify({v: process.versions.node, abi: process.versions.modules, p: process.platform, a: process.arch})'], { encoding: 'utf8' }));
log(`embedding Node ${nodeInfo.v} (ABI ${nodeInfo.abi}) from ${node}`);

// --- the uWS build for that ABI (newest first, as src/uws/load.ts) ----------------------------
const uwsName = `uws_${nodeInfo.p}_${nodeInfo.a}_${nodeInfo.abi}.node`;
const builds = [
  { version: '20.57.0', dir: dirname(require.resolve('uws-20.57')) },
  { version: '20.30.0', dir: join(dirname(require.resolve('uws-20.30')), '..', 'binaries') },
];
const withAbi = builds.filter((b) => existsSync(join(b.dir, uwsName)));
if (withAbi.length === 0) throw new Error(`no uWS build has ${uwsName}`);
// The newest build that loads here with that Node (src/uws/load.ts's choice), else the newest for
// its ABI (Node 24 built on glibc < 2.38: the binary then runs only where glibc >= 2.38).
const loadsHere = (b) => {
  try {
    execFileSync(node, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(join(b.dir, uwsName))})`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const uws = (process.env.SLUICE_SEA_UWS && withAbi.find((b) => b.version.startsWith(process.env.SLUICE_SEA_UWS))) || withAbi.find(loadsHere) || withAbi[0];
log(`embedding uWS ${uws.version} (${uwsName})`);

// --- bundles ----------------------------------------------------------------------------------
const distFiles = (dir) => readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.js')).map((f) => join(dir, f));
const lazyIds = new Set();
for (const f of distFiles(DIST)) {
  if (f.startsWith(OUT)) continue;
  for (const m of readFileSync(f, 'utf8').matchAll(/\blazy\(\s*(['"])([^'"]+)\1\s*\)/g)) lazyIds.add(m[2]);
}
log(`lazily loaded modules bundled: ${[...lazyIds].sort().join(', ')}`);
const lazyTable = `module.exports = {\n${[...lazyIds].sort().map((id) => `  ${JSON.stringify(id)}: () => require(${JSON.stringify(id)}),`).join('\n')}\n};\n`;

/** esbuild plugin: import.meta.url → the file's URL under the extraction root; lazy ids → bundled. */
const seaPlugin = {
  name: 'sluice-sea',
  setup(build) {
    // Optional native helpers of ws and macOS-only fsevents (chokidar), each loaded in a try:
    // a module that throws, so the SEA's require (built-ins only) is never asked for them.
    build.onResolve({ filter: /^(bufferutil|utf-8-validate|fsevents)$/ }, (args) => ({ path: args.path, namespace: 'sluice-absent' }));
    build.onLoad({ filter: /.*/, namespace: 'sluice-absent' }, (args) => ({ contents: `throw new Error(${JSON.stringify(args.path + ' is not bundled')});`, loader: 'js' }));
    build.onResolve({ filter: /^sluice-lazy-table$/ }, () => ({ path: 'sluice-lazy-table', namespace: 'sluice' }));
    build.onLoad({ filter: /.*/, namespace: 'sluice' }, () => ({ contents: lazyTable, loader: 'js', resolveDir: ROOT }));
    build.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(DIST + '/')) return undefined;
      const rel = relative(ROOT, args.path);
      let text = readFileSync(args.path, 'utf8');
      if (rel === join('dist', 'lazy.js')) {
        if (!/require\(id\)/.test(text)) throw new Error('dist/lazy.js: expected `require(id)`; update scripts/build-binary.js');
        text = `import __lazyTable from 'sluice-lazy-table';\n` + text.replace(/require\(id\)/, '(Object.hasOwn(__lazyTable, id) ? __lazyTable[id]() : require(id))');
      }
      text = text
        .replaceAll('import.meta.url', `globalThis.__sluiceUrl(${JSON.stringify(rel)})`)
        .replaceAll('import.meta.dirname', `globalThis.__sluiceDir(${JSON.stringify(rel)})`)
        .replaceAll('import.meta.filename', `globalThis.__sluicePath(${JSON.stringify(rel)})`);
      return { contents: text, loader: 'js' };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  plugins: [seaPlugin],
  logLevel: 'warning',
  legalComments: 'none',
  minifyWhitespace: false,
  absWorkingDir: ROOT,
};
await esbuild.build({ ...common, entryPoints: { main: join(ROOT, 'scripts', 'sea-entry.cjs') }, outdir: OUT });
await esbuild.build({ ...common, entryPoints: { worker: join(ROOT, 'scripts', 'sea-worker.cjs') }, outdir: OUT });
// The precompiled validators require ajv's runtime helpers: bundle them in.
await esbuild.build({ ...common, plugins: [], entryPoints: { validators: join(DIST, 'config', 'validators.cjs') }, outdir: OUT });

// --- assets: the extraction tree --------------------------------------------------------------
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
writeFileSync(join(OUT, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, license: pkg.license }) + '\n');
/** asset name (= path under the extraction root) → file on disk */
const files = {
  'package.json': join(OUT, 'package.json'),
  'dist/server/worker.js': join(OUT, 'worker.js'),
  'dist/config/validators.cjs': join(OUT, 'validators.js'),
  [`uws/${uwsName}`]: join(uws.dir, uwsName),
};
for (const f of readdirSync(join(ROOT, 'schemas'), { recursive: true }).map(String)) {
  const p = join(ROOT, 'schemas', f);
  if (statSync(p).isFile()) files[`schemas/${f}`] = p;
}
const hash = createHash('sha256');
for (const name of Object.keys(files).sort()) hash.update(name).update('\0').update(readFileSync(files[name])).update('\0');
const manifest = { version: pkg.version, hash: hash.digest('hex').slice(0, 16), uws: { version: uws.version, file: `uws/${uwsName}` }, files: Object.keys(files).sort(), lazy: [...lazyIds].sort() };
writeFileSync(join(OUT, 'manifest.json'), JSON.stringify(manifest) + '\n');
const assets = { 'manifest.json': join(OUT, 'manifest.json') };
for (const [name, p] of Object.entries(files)) assets[name] = p;

writeFileSync(
  join(OUT, 'sea-config.json'),
  JSON.stringify({ main: join(OUT, 'main.js'), output: join(OUT, 'sea.blob'), disableExperimentalSEAWarning: true, useCodeCache: false, useSnapshot: false, assets }, null, 2),
);
execFileSync(node, ['--experimental-sea-config', join(OUT, 'sea-config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });

// --- inject -----------------------------------------------------------------------------------
const target = process.env.SLUICE_SEA_OUTPUT ? join(ROOT, process.env.SLUICE_SEA_OUTPUT) : join(DIST, 'sluice');
rmSync(target, { force: true });
copyFileSync(node, target);
chmodSync(target, 0o755);
// The official Node binary carries ~18 MB of symbols: drop them (binutils' strip, when present).
if (process.env.SLUICE_SEA_STRIP !== '0') {
  try {
    execFileSync('strip', [target], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (e) {
    log(`not stripped (${e.code === 'ENOENT' ? 'no strip here: apt-get install binutils' : e.message})`);
  }
}
execFileSync(process.execPath, [require.resolve('postject/dist/cli.js'), target, 'NODE_SEA_BLOB', join(OUT, 'sea.blob'), '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { stdio: ['ignore', 'ignore', 'inherit'] });
log(`wrote ${relative(ROOT, target)} (${(statSync(target).size / 1048576).toFixed(1)} MiB: Node ${nodeInfo.v}, uWS ${uws.version}, assets ${manifest.hash})`);
