// Side by side: the proxy's JavaScript per request (bench/proxy-path.js) in this build and in
// other builds, GET and POST 16 KiB, BENCH_ROUNDS interleaved rounds (a fresh process per build
// and round), medians. CPU µs per request and bytes allocated per request on the JS heap (the
// sum of what V8 reports allocated between garbage collections during the measured requests).
//   BENCH_PROXY_BEFORE=/tmp/refactor-before node bench/proxy-path-ab.js
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, ROUNDS, fmt, median, table } from './lib.js';

const REQUESTS = Number(process.env.BENCH_PATH_REQUESTS ?? 200_000);
const builds = [];
if (process.env.BENCH_PROXY_BASELINE) builds.push(['baseline', process.env.BENCH_PROXY_BASELINE]);
if (process.env.BENCH_PROXY_BEFORE) builds.push(['before', process.env.BENCH_PROXY_BEFORE]);
builds.push(['this build', ROOT]);

function once(root, method) {
  const p = spawnSync(process.execPath, ['--trace-gc-nvp', join(ROOT, 'bench', 'proxy-path.js'), root, method, String(REQUESTS)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (p.status !== 0) throw new Error(`proxy-path.js ${root} ${method}: ${p.stderr}`);
  const out = p.stdout;
  const measured = out.slice(out.indexOf('MEASURE-START'), out.indexOf('MEASURE-END'));
  let allocated = 0;
  for (const m of measured.matchAll(/\ballocated=(\d+)/g)) allocated += Number(m[1]);
  const r = JSON.parse(out.slice(out.indexOf('MEASURE-END') + 'MEASURE-END'.length).trim().split('\n')[0]);
  return { cpu: r.cpuUsPerReq, bytes: allocated / REQUESTS };
}

const rows = [['scenario', 'build', 'JS CPU µs/req', 'JS heap bytes/req']];
for (const method of ['GET', 'POST']) {
  const res = Object.fromEntries(builds.map(([name]) => [name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < builds.length; k++) {
      const [name, root] = builds[(r + k) % builds.length];
      res[name].push(once(root, method));
    }
  }
  for (const [name] of builds) {
    const list = res[name];
    rows.push([method === 'GET' ? 'GET' : 'POST 16 KiB', name, fmt(median(list.map((x) => x.cpu)), 2) + '  (' + list.map((x) => fmt(x.cpu, 2)).join(', ') + ')', fmt(median(list.map((x) => x.bytes)))]);
  }
}
console.log(`\n## Proxy JS path A/B, ${ROUNDS} interleaved rounds of ${REQUESTS} requests (medians; per-round CPU in parentheses)\n`);
table(rows);
