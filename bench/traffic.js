// Cost of the traffic plugins, side by side in one run: Sluice (1 worker) with no plugins vs
// key-auth + rate-limiting (policy local, counting in the node-wide shared memory, with a limit
// high enough never to refuse). Load generator and upstream on core 0, Sluice on core 1.
// `node bench/traffic.js` (BENCH_DURATION=seconds, BENCH_CONNECTIONS=n). On a shared, noisy machine,
// BENCH_ROUNDS=n runs the three scenarios interleaved n times (DURATION seconds each) and reports
// medians, ratios taken round by round: load that comes and goes then hits every row alike.
import { pathToFileURL } from 'node:url';
import { HAS_TASKSET, CONNECTIONS, DURATION, ROUNDS, fmt, load, median, medianResult, startBenchUpstream, startSluice, stop, table } from './lib.js';

export async function run() {
  const upstream = await startBenchUpstream();
  const sluice = await startSluice(`_format_version: "3.0"
services:
  - name: bench
    url: ${upstream.url}
    routes:
      - name: plain
        paths: [/plain]
      - name: rl-only
        paths: [/rl-only]
        plugins:
          - name: rate-limiting
            config: { second: 1000000000, hour: 1000000000000, limit_by: ip }
      - name: limited
        paths: [/limited]
        plugins:
          - name: key-auth
          - name: rate-limiting
            config: { second: 1000000000, hour: 1000000000000, limit_by: consumer }
consumers:
  - username: bench
    keyauth_credentials:
      - key: bench-key-0123456789
`);
  const rows = [['scenario', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors']];
  const rounds = ROUNDS;
  const runs = { plain: [], rlOnly: [], limited: [] };
  try {
    // The autocannon/wrk URL carries the key in the query (key_in_query), so both tools send it.
    for (let r = 0; r < rounds; r++) {
      runs.plain.push(await load(`${sluice.url}/plain/hello`, { serverPids: [sluice.child.pid] }));
      runs.rlOnly.push(await load(`${sluice.url}/rl-only/hello`, { serverPids: [sluice.child.pid] }));
      runs.limited.push(await load(`${sluice.url}/limited/hello?apikey=bench-key-0123456789`, { serverPids: [sluice.child.pid] }));
    }
  } finally {
    await stop(sluice.child);
    await stop(upstream.child);
  }
  const plain = medianResult(runs.plain);
  const rlOnly = medianResult(runs.rlOnly);
  const limited = medianResult(runs.limited);
  const perRound = (f) => median(runs.plain.map((p, i) => f(p, runs.rlOnly[i], runs.limited[i])));
  const row = (name, r) => [name, fmt(r.rps), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.cpuUsPerReq, 1), fmt(r.errors)];
  rows.push(row('no plugins', plain), row('rate-limiting (local) alone', rlOnly), row('key-auth + rate-limiting (local)', limited));
  console.log(`\n## Traffic plugins: ${CONNECTIONS} connections, ${DURATION} s per row${rounds > 1 ? ` × ${rounds} interleaved rounds (medians)` : ''}${HAS_TASKSET ? ', pinned (load+upstream core 0, sluice core 1)' : ', not pinned (no taskset)'}\n`);
  table(rows);
  console.log('');
  const ratios = [
    ['ratio', 'value'],
    ['rate-limiting / no plugins req/s', fmt(perRound((p, r) => r.rps / p.rps), 2)],
    ['key-auth + rate-limiting / no plugins req/s', fmt(perRound((p, r, l) => l.rps / p.rps), 2)],
    ['key-auth + rate-limiting / no plugins CPU µs per req', fmt(perRound((p, r, l) => l.cpuUsPerReq / p.cpuUsPerReq), 2)],
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
