// Authentication cost, side by side in one run: the same Sluice (1 worker) proxying a route with
// no plugins, with key-auth, and with jwt (RS256, 2048-bit key). Load generator and upstream on
// core 0, Sluice on core 1 (taskset). Prints req/s, p50, p99, CPU µs per request of Sluice and
// the ratios to the no-plugin route. Credentials travel in the query string (?apikey=, ?jwt=) so
// that wrk and autocannon need no header options.
// `node bench/auth.js` (BENCH_DURATION=seconds, BENCH_CONNECTIONS=n).
import { generateKeyPairSync } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';
import { HAS_TASKSET, CONNECTIONS, DURATION, fmt, load, startBenchUpstream, startSluice, stop, table, loadRoutes } from './lib.js';

export async function run() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString().trim();
  const token = await new SignJWT({ iss: 'bench-rs', exp: Math.floor(Date.now() / 1000) + 3600 })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .sign(privateKey);
  const upstream = await startBenchUpstream();
  const sluice = await startSluice(`_format_version: "3.0"
consumers:
  - username: bench
    keyauth_credentials: [{ key: bench-key-0123456789 }]
    jwt_secrets:
      - key: bench-rs
        algorithm: RS256
        rsa_public_key: |
          ${pem.split('\n').join('\n          ')}
services:
  - name: bench
    url: ${upstream.url}
    routes:
      - { name: none, paths: [/none] }
      - { name: key, paths: [/key], plugins: [{ name: key-auth }] }
      - { name: jwt, paths: [/jwt], plugins: [{ name: jwt, config: { claims_to_verify: [exp] } }] }
`);
  const targets = [
    ['no plugins', '/none/hello'],
    ['key-auth', '/key/hello?apikey=bench-key-0123456789'],
    ['jwt RS256', `/jwt/hello?jwt=${token}`],
  ];
  const rows = [['route', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors']];
  const results = {};
  try {
    for (const [name, path] of targets) {
      // A request that fails authentication would count as an error: check once before loading.
      const res = await fetch(sluice.url + path);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${name}: ${path} answered ${res.status}`);
    }
    // Warm-up (JIT, connection pools) so the first row is not penalised, then the measured runs.
    await loadRoutes(sluice, targets, rows, results);
  } finally {
    await stop(sluice.child);
    await stop(upstream.child);
  }
  const base = results['no plugins'];
  const ratios = [
    ['key-auth / no plugins req/s', fmt(results['key-auth'].rps / base.rps, 2)],
    ['jwt RS256 / no plugins req/s', fmt(results['jwt RS256'].rps / base.rps, 2)],
    ['jwt RS256 / key-auth req/s', fmt(results['jwt RS256'].rps / results['key-auth'].rps, 2)],
    ['key-auth - no plugins CPU µs/req', fmt(results['key-auth'].cpuUsPerReq - base.cpuUsPerReq, 1)],
    ['jwt RS256 - no plugins CPU µs/req', fmt(results['jwt RS256'].cpuUsPerReq - base.cpuUsPerReq, 1)],
  ];
  console.log(`\n## Auth plugins: ${CONNECTIONS} connections, ${DURATION} s per row, Sluice 1 worker${HAS_TASKSET ? ', pinned (load+upstream core 0, Sluice core 1)' : ', not pinned (no taskset)'}\n`);
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
