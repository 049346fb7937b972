// Proxy throughput, side by side in one run: straight to the upstream, nginx (when installed)
// and Sluice (1 worker, no plugins). Load generator and upstream on core 0, proxy on core 1
// (taskset). Prints req/s, p50, p99, CPU µs per request of the proxy process, and ratios.
// `node bench/proxy.js` (BENCH_DURATION=seconds, BENCH_CONNECTIONS=n).
import { pathToFileURL } from 'node:url';
import { HAS_NGINX, HAS_TASKSET, CONNECTIONS, DURATION, fmt, load, processTree, startBenchUpstream, startNginx, startSluice, stop, table } from './lib.js';

const SCENARIOS = [
  { name: 'GET ~50 B JSON', path: '/bench/hello', method: 'GET', body: null },
  { name: 'POST 16 KiB', path: '/bench/echo', method: 'POST', body: 16384 },
];

export async function run() {
  const upstream = await startBenchUpstream();
  const yaml = `_format_version: "3.0"
services:
  - name: bench
    url: ${upstream.url}
    routes:
      - name: bench
        paths: [/bench]
`;
  // Sluice twice: its own HTTP/1.1 upstream client (the default) and undici's Pool.
  const sluice = await startSluice(yaml);
  const sluiceUndici = await startSluice(yaml, { env: { SLUICE_UPSTREAM_CLIENT: 'undici' } });
  const nginx = HAS_NGINX ? await startNginx(upstream.port) : null;
  const rows = [['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors']];
  const ratios = [];
  try {
    for (const sc of SCENARIOS) {
      const upPath = sc.path.replace('/bench', '');
      const direct = await load(upstream.url + (upPath || '/'), { method: sc.method, body: sc.body, serverPids: [upstream.child.pid] });
      const viaNginx = nginx ? await load(nginx.url + (upPath || '/'), { method: sc.method, body: sc.body, serverPids: processTree(nginx.child.pid) }) : null;
      const viaSluice = await load(sluice.url + sc.path, { method: sc.method, body: sc.body, serverPids: [sluice.child.pid] });
      const viaUndici = await load(sluiceUndici.url + sc.path, { method: sc.method, body: sc.body, serverPids: [sluiceUndici.child.pid] });
      const row = (target, r) => [sc.name, target, fmt(r.rps), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.cpuUsPerReq, 1), fmt(r.errors)];
      rows.push(row('upstream direct', direct));
      if (viaNginx) rows.push(row('nginx 1 worker', viaNginx));
      rows.push(row('sluice 1 worker', viaSluice));
      rows.push(row('sluice (undici client)', viaUndici));
      ratios.push([sc.name, 'sluice / direct req/s', fmt(viaSluice.rps / direct.rps, 2)]);
      if (viaNginx) {
        ratios.push([sc.name, 'sluice / nginx req/s (target ≥ 1.0)', fmt(viaSluice.rps / viaNginx.rps, 2)]);
        ratios.push([sc.name, 'sluice / nginx CPU µs per req (target ≤ 1.1)', fmt(viaSluice.cpuUsPerReq / viaNginx.cpuUsPerReq, 2)]);
        ratios.push([sc.name, 'sluice / nginx p99 (target ≤ 1.5)', fmt(viaSluice.p99 / viaNginx.p99, 2)]);
        ratios.push([sc.name, 'sluice (undici client) / nginx CPU µs per req', fmt(viaUndici.cpuUsPerReq / viaNginx.cpuUsPerReq, 2)]);
      }
    }
  } finally {
    await stop(sluice.child);
    await stop(sluiceUndici.child);
    if (nginx) await stop(nginx.child);
    await stop(upstream.child);
  }
  console.log(`\n## Proxy: ${CONNECTIONS} connections, ${DURATION} s per row, ${rows[1] ? '' : ''}load tool ${process.env.BENCH_TOOL ?? 'wrk if installed, else autocannon'}${HAS_TASKSET ? ', pinned (load+upstream core 0, proxy core 1)' : ', not pinned (no taskset)'}\n`);
  table(rows);
  console.log('');
  table([['scenario', 'ratio', 'value'], ...ratios]);
  return { rows, ratios };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
  });
}
