// Side by side in one run: this build against other builds of Sluice (GET and POST 16 KiB), e.g.
// BENCH_PROXY_BEFORE=/tmp/refactor-before BENCH_PROXY_BASELINE=/work/wt/baseline node bench/proxy-ab.js
// (each a checkout with its own `npm run build`). BENCH_ROUNDS interleaved rounds, medians.
import { ROOT, ROUNDS, fmt, measureRounds, medianResult, startBenchUpstream, startSluice, stop, table } from './lib.js';

const builds = [];
if (process.env.BENCH_PROXY_BASELINE) builds.push(['baseline', process.env.BENCH_PROXY_BASELINE]);
if (process.env.BENCH_PROXY_BEFORE) builds.push(['before', process.env.BENCH_PROXY_BEFORE]);
builds.push(['this build', ROOT]);
const upstream = await startBenchUpstream();
const yaml = `_format_version: "3.0"\nservices:\n  - name: bench\n    url: ${upstream.url}\n    routes:\n      - name: bench\n        paths: [/bench]\n`;
const gws = [];
for (const [name, root] of builds) gws.push([name, await startSluice(yaml, { root })]);
const rows = [['scenario', 'build', 'req/s', 'p50 ms', 'CPU µs/req', 'instr:u/req']];
try {
  for (const sc of [{ name: 'GET', path: '/bench/hello', method: 'GET', body: null }, { name: 'POST 16 KiB', path: '/bench/echo', method: 'POST', body: 16384 }]) {
    const res = await measureRounds(gws.map(([name, g]) => ({ name, url: g.url + sc.path, pids: [g.child.pid], perfPid: g.child.pid, method: sc.method, body: sc.body })));
    for (const [name] of gws) {
      const r = medianResult(res[name]);
      rows.push([sc.name, name, fmt(r.rps), fmt(r.p50, 2), fmt(r.cpuUsPerReq, 1) + '  (' + res[name].map((x) => fmt(x.cpuUsPerReq, 1)).join(', ') + ')', Number.isFinite(r.instrPerReq) ? fmt(r.instrPerReq) : 'n/a']);
    }
  }
} finally {
  for (const [, g] of gws) await stop(g.child);
  await stop(upstream.child);
}
console.log(`\n## Proxy A/B, ${ROUNDS} interleaved rounds (medians; per-round CPU in parentheses)\n`);
table(rows);
