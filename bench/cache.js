// proxy-cache cost and gain, side by side in one run: the same Sluice (1 worker) proxying a
// route with no plugins, a proxy-cache route answered from the cache (Hit: no upstream), and a
// proxy-cache route whose responses are never stored (content_type does not match, so every
// request runs the whole miss path — key, lookup, in-flight registration, upstream, the
// cacheability decision — and is answered X-Cache-Status: Bypass). Load generator and upstream on
// core 0, Sluice on core 1 (taskset). Prints req/s, p50, p99, CPU µs per request and ratios.
// `node bench/cache.js` (BENCH_DURATION=seconds, BENCH_CONNECTIONS=n).
import { pathToFileURL } from 'node:url';
import { HAS_TASKSET, CONNECTIONS, DURATION, fmt, load, startBenchUpstream, startSluice, stop, table, loadRoutes } from './lib.js';

export async function run() {
  const upstream = await startBenchUpstream();
  const sluice = await startSluice(`_format_version: "3.0"
services:
  - name: bench
    url: ${upstream.url}
    routes:
      - { name: none, paths: [/none] }
      - { name: hit, paths: [/hit], plugins: [{ name: proxy-cache, config: { strategy: memory, cache_ttl: 3600 } }] }
      - { name: miss, paths: [/miss], plugins: [{ name: proxy-cache, config: { strategy: memory, content_type: [text/plain] } }] }
`);
  const targets = [
    ['no plugins', '/none/hello'],
    ['proxy-cache hit', '/hit/hello'],
    ['proxy-cache miss', '/miss/hello'],
  ];
  const rows = [['route', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors']];
  const results = {};
  try {
    const expect = { 'no plugins': null, 'proxy-cache hit': 'Hit', 'proxy-cache miss': 'Bypass' };
    for (const [name, path] of targets) {
      await (await fetch(sluice.url + path)).arrayBuffer(); // fills the cache for the hit route
      const res = await fetch(sluice.url + path);
      await res.arrayBuffer();
      if (res.status !== 200 || res.headers.get('x-cache-status') !== expect[name]) {
        throw new Error(`${name}: ${path} answered ${res.status} X-Cache-Status ${res.headers.get('x-cache-status')}`);
      }
    }
    await loadRoutes(sluice, targets, rows, results);
  } finally {
    await stop(sluice.child);
    await stop(upstream.child);
  }
  const base = results['no plugins'];
  const hit = results['proxy-cache hit'];
  const miss = results['proxy-cache miss'];
  const ratios = [
    ['hit / no plugins req/s', fmt(hit.rps / base.rps, 2)],
    ['hit / miss req/s', fmt(hit.rps / miss.rps, 2)],
    ['miss / no plugins req/s', fmt(miss.rps / base.rps, 2)],
    ['miss - no plugins CPU µs/req', fmt(miss.cpuUsPerReq - base.cpuUsPerReq, 1)],
  ];
  console.log(`\n## proxy-cache: ${CONNECTIONS} connections, ${DURATION} s per row, Sluice 1 worker${HAS_TASKSET ? ', pinned (load+upstream core 0, Sluice core 1)' : ', not pinned (no taskset)'}\n`);
  table(rows);
  console.log('');
  table([['ratio', 'value'], ...ratios]);
  return { rows, ratios };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
  });
}
