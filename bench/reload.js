// Reload benchmark: load + validate + compile time and memory for a generated configuration of
// 10,000 routes and 10,000 consumers (key-auth credentials), and the time from a file write to
// every worker serving the new snapshot (polling /status), with --workers 2 (BENCH_WORKERS=n).
// `node bench/reload.js` (BENCH_ROUTES, BENCH_CONSUMERS to change the sizes, BENCH_WORKERS the workers).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfigFile } from '../dist/config/index.js';
import { compile } from '../dist/snapshot/compile.js';
import { PoolRegistry } from '../dist/upstream/pool.js';
import { ROOT, fmt, freePort, spawnPinned, stop, table, waitForPort } from './lib.js';

const ROUTES = Number(process.env.BENCH_ROUTES ?? 10000);
const CONSUMERS = Number(process.env.BENCH_CONSUMERS ?? 10000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);

export function generateConfig(routes, consumers, extraRoute = null) {
  const out = ['_format_version: "3.0"', 'services:'];
  const perService = 100;
  for (let s = 0; s < Math.ceil(routes / perService); s++) {
    out.push(`  - name: svc-${s}`, `    url: http://127.0.0.1:${9000 + (s % 50)}/s${s}`, '    routes:');
    for (let r = s * perService; r < Math.min(routes, (s + 1) * perService); r++) {
      const kind = r % 10;
      let path;
      if (kind < 6) path = `/api/v${r % 3}/res${r}`;
      else if (kind < 9) path = `/t/res${r}/{id}`;
      else path = `~/rx/res${r}/\\d+$`;
      out.push(`      - name: route-${r}`, `        paths: ['${path}']`);
      if (r % 7 === 0) out.push(`        methods: [GET, POST]`);
      if (r % 11 === 0) out.push(`        hosts: [api${r % 5}.example.com, "*.svc${r % 3}.example.com"]`);
    }
  }
  if (extraRoute) out.push(`  - name: extra`, `    url: http://127.0.0.1:1`, `    routes:`, `      - name: ${extraRoute}`, `        paths: [/${extraRoute}]`, `        plugins:`, `          - name: request-termination`, `            config: { status_code: 200, message: ok }`);
  out.push('consumers:');
  for (let c = 0; c < consumers; c++) out.push(`  - username: user-${c}`, `    keyauth_credentials:`, `      - key: key-${c}-${(c * 2654435761) >>> 0}`);
  if (consumers > 0) out.push('plugins:', '  - name: key-auth', '    service: svc-0');
  return out.join('\n') + '\n';
}

async function status(admin) {
  return (await fetch(`${admin}/status`)).json();
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-reload-'));
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, generateConfig(ROUTES, CONSUMERS));

  // In-process: load + validate, then compile, with heap/RSS deltas.
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  let t = performance.now();
  const loaded = loadConfigFile(file);
  const loadMs = performance.now() - t;
  if (!loaded.ok) throw new Error('generated config is invalid: ' + JSON.stringify(loaded.errors.slice(0, 3)));
  t = performance.now();
  const pools = new PoolRegistry();
  const snapshot = compile(loaded.config, { pools });
  const compileMs = performance.now() - t;
  global.gc?.();
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 1048576;
  const rssMb = (process.memoryUsage().rss - rss0) / 1048576;
  await pools.closeAll();
  void snapshot;

  // Running gateway, WORKERS workers: write → every worker on the new hash, and → new route answers.
  const proxyPort = await freePort();
  const adminPort = await freePort();
  const admin = `http://127.0.0.1:${adminPort}`;
  const gw = spawnPinned(null, process.execPath, [join(ROOT, 'bin', 'sluice.js'), 'start', '-c', file, '--proxy-listen', `127.0.0.1:${proxyPort}`, '--admin-listen', `127.0.0.1:${adminPort}`, '--workers', String(WORKERS), '--log-level', 'warn'], { cwd: ROOT });
  const samples = [];
  try {
    await waitForPort(adminPort, gw, 60000);
    for (let i = 0; i < 5; i++) {
      const before = (await status(admin)).config.hash;
      const name = `added${i}`;
      const text = generateConfig(ROUTES, CONSUMERS, name);
      const t0 = performance.now();
      writeFileSync(file, text);
      let allWorkers = NaN;
      let served = NaN;
      const until = Date.now() + 60000;
      while (Date.now() < until && (Number.isNaN(allWorkers) || Number.isNaN(served))) {
        if (Number.isNaN(allWorkers)) {
          const s = await status(admin);
          if (s.config.hash !== before && s.workers.every((w) => w.config_hash === s.config.hash)) allWorkers = performance.now() - t0;
        }
        if (Number.isNaN(served)) {
          const r = await fetch(`http://127.0.0.1:${proxyPort}/${name}`).catch(() => null);
          if (r?.status === 200) served = performance.now() - t0;
          await r?.arrayBuffer();
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      samples.push({ allWorkers, served });
    }
  } finally {
    await stop(gw);
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`\n## Reload: ${ROUTES} routes, ${CONSUMERS} consumers (key-auth credentials); ${WORKERS} workers; median of ${samples.length} rewrites (includes the 100 ms watcher debounce)\n`);
  table([
    ['measure', 'value'],
    ['config file size (MB)', fmt(text_size(file), 1)],
    ['load + validate (ms)', fmt(loadMs)],
    ['compile snapshot (ms)', fmt(compileMs)],
    ['snapshot heap (MB, approx.)', fmt(heapMb, 1)],
    ['process RSS growth for load+compile (MB)', fmt(rssMb, 1)],
    ['file write → every worker on new hash (ms)', fmt(median(samples.map((s) => s.allWorkers)))],
    ['file write → new route answers (ms)', fmt(median(samples.map((s) => s.served)))],
  ]);
  return { loadMs, compileMs, heapMb, samples };
}

function text_size(file) {
  return Buffer.byteLength(generateConfig(ROUTES, CONSUMERS)) / 1048576;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
  });
}
