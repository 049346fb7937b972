// Cost of a custom plugin, side by side in one run (issue 20): Sluice (1 worker) with no plugin;
// a Kong-format (kong-js-pdk) plugin setting one upstream header in access; the same as a native
// Sluice plugin; the bundled request-transformer doing the same. Target: Kong-format ≥ 0.9× the
// no-plugin req/s. `node bench/plugins.js` (BENCH_DURATION, BENCH_CONNECTIONS, BENCH_ROUNDS as
// the other benchmarks: rounds interleave the rows and report medians and per-round ratios).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HAS_TASKSET, CONNECTIONS, DURATION, ROUNDS, fmt, load, median, medianResult, startBenchUpstream, startSluice, stop, table } from './lib.js';

const KONG = `'use strict';
class BenchHeader {
  constructor(config) { this.config = config; }
  async access(kong) {
    await kong.service.request.setHeader('x-bench', this.config.value);
  }
}
module.exports = { Plugin: BenchHeader, Schema: [{ value: { type: 'string', default: 'kong' } }], Version: '1.0.0', Priority: 800 };
`;

const NATIVE = `export default {
  apiVersion: 1,
  name: 'native-header',
  priority: 800,
  schema: { type: 'object', additionalProperties: false, properties: { value: { type: 'string', default: 'native' } } },
  create(instance) {
    const value = instance.config.value;
    return { access: (req) => req.setUpstreamHeader('x-bench', value) };
  },
};
`;

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-plugins-'));
  writeFileSync(join(dir, 'kong-header.js'), KONG);
  writeFileSync(join(dir, 'native-header.mjs'), NATIVE);
  const upstream = await startBenchUpstream();
  const sluice = await startSluice(
    `_format_version: "3.0"
services:
  - name: bench
    url: ${upstream.url}
    routes:
      - { name: plain, paths: [/plain] }
      - name: kong
        paths: [/kong]
        plugins: [{ name: kong-header }]
      - name: native
        paths: [/native]
        plugins: [{ name: native-header }]
      - name: bundled
        paths: [/bundled]
        plugins: [{ name: request-transformer, config: { add: { headers: ["x-bench:bundled"] } } }]
`,
    { env: { SLUICE_PLUGINS_DIR: dir } },
  );
  const names = ['plain', 'kong', 'native', 'bundled'];
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const n of names) runs[n].push(await load(`${sluice.url}/${n}/hello`, { serverPids: [sluice.child.pid] }));
    }
  } finally {
    await stop(sluice.child);
    await stop(upstream.child);
  }
  const res = Object.fromEntries(names.map((n) => [n, medianResult(runs[n])]));
  const row = (name, r) => [name, fmt(r.rps), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.cpuUsPerReq, 1), fmt(r.errors)];
  const rows = [
    ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors'],
    row('no plugin', res.plain),
    row('Kong-format plugin: one upstream header in access', res.kong),
    row('native plugin: the same', res.native),
    row('bundled request-transformer: the same', res.bundled),
  ];
  console.log(`\n## Custom plugins: ${CONNECTIONS} connections, ${DURATION} s per row${ROUNDS > 1 ? ` × ${ROUNDS} interleaved rounds (medians)` : ''}${HAS_TASKSET ? ', pinned (load+upstream core 0, sluice core 1)' : ', not pinned (no taskset)'}\n`);
  table(rows);
  console.log('');
  const ratio = (n) => fmt(median(runs.plain.map((p, i) => runs[n][i].rps / p.rps)), 2);
  const ratios = [
    ['ratio (req/s / no plugin)', 'value'],
    ['Kong-format plugin (target ≥ 0.90)', ratio('kong')],
    ['native plugin', ratio('native')],
    ['bundled request-transformer', ratio('bundled')],
    ['Kong-format plugin CPU µs per req / no plugin', fmt(median(runs.plain.map((p, i) => runs.kong[i].cpuUsPerReq / p.cpuUsPerReq)), 2)],
  ];
  table(ratios);
  return { rows, ratios };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
  });
}
