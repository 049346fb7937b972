// The single executable against `node bin/sluice.js`, side by side in one run (README "Binary"):
// time to the first proxied response after spawn, then proxied GET req/s and the gateway's CPU
// microseconds per request (utime+stime of all its threads from /proc, over the measured window).
// Rounds alternate A B A B so drift hits both; medians are printed.
//
//   node scripts/bench-binary.js [--rounds 5] [--seconds 5] [--workers 1] -- 'dist/sluice' 'node bin/sluice.js'
//
// Needs dist/ built, and glibc >= 2.38 for the binary (run it in scripts/debian13.sh's root fs).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(name);
  return i === -1 ? def : Number(argv[i + 1]);
};
const rounds = opt('--rounds', 5);
const seconds = opt('--seconds', 5);
const workers = opt('--workers', 1);
const commands = argv.slice(argv.indexOf('--') + 1);
if (argv.indexOf('--') === -1 || commands.length === 0) throw new Error("usage: bench-binary.js [options] -- 'CMD A' 'CMD B'");

const CLK = 100; // USER_HZ
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-bin-'));
let nextPort = 23000 + Math.floor(Math.random() * 500) * 4;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime + stime (fields 14, 15)
}

const upstreamPort = nextPort++;
const upstream = spawn(process.execPath, ['bench/upstream.js', String(upstreamPort)], { stdio: 'ignore' });
await sleep(500);
writeFileSync(join(dir, 'gateway.yaml'), `_format_version: "3.0"\nservices:\n  - name: up\n    url: http://127.0.0.1:${upstreamPort}\n    routes:\n      - name: r\n        paths: [/]\n`);

async function once(command) {
  const [file, ...pre] = command.split(/\s+/);
  const proxy = nextPort++;
  const t0 = process.hrtime.bigint();
  const gw = spawn(file, [...pre, 'start', '-c', join(dir, 'gateway.yaml'), '--proxy-listen', `127.0.0.1:${proxy}`, '--admin-listen', 'off', '--workers', String(workers), '--log-level', 'error'], { stdio: 'ignore', env: { ...process.env, SLUICE_LOG_LEVEL: 'error' } });
  let firstMs = null;
  for (let i = 0; i < 2000 && firstMs === null; i++) {
    const ok = await fetch(`http://127.0.0.1:${proxy}/`).then((r) => r.arrayBuffer().then(() => r.status === 200), () => false);
    if (ok) firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
    else await sleep(5);
  }
  const run = (duration) => new Promise((res, rej) => autocannon({ url: `http://127.0.0.1:${proxy}/`, connections: 32, pipelining: 1, duration }, (e, r) => (e ? rej(e) : res(r))));
  await run(1); // warm-up
  const c0 = cpuTicks(gw.pid);
  const r = await run(seconds);
  const c1 = cpuTicks(gw.pid);
  gw.kill('SIGTERM');
  await new Promise((res) => gw.once('exit', res));
  const requests = r.requests.total;
  return { firstMs, rps: requests / seconds, cpuUs: (((c1 - c0) / CLK) * 1e6) / requests, errors: r.errors + r.non2xx };
}

const results = commands.map(() => []);
try {
  for (let i = 0; i < rounds; i++) {
    for (let c = 0; c < commands.length; c++) {
      const r = await once(commands[c]);
      results[c].push(r);
      console.error(`round ${i + 1} ${commands[c]}: first response ${r.firstMs?.toFixed(0)} ms, ${r.rps.toFixed(0)} req/s, ${r.cpuUs.toFixed(1)} µs CPU/req, errors ${r.errors}`);
    }
  }
} finally {
  upstream.kill('SIGTERM');
}
console.log(`\nmedians of ${rounds} alternating rounds, ${seconds} s each, ${workers} worker(s), 32 connections, proxied GET:`);
console.log('| command | first response (ms) | req/s | gateway CPU µs/req |');
console.log('|---|---|---|---|');
for (let c = 0; c < commands.length; c++) {
  const rs = results[c];
  console.log(`| \`${commands[c]}\` | ${median(rs.map((r) => r.firstMs)).toFixed(0)} | ${median(rs.map((r) => r.rps)).toFixed(0)} | ${median(rs.map((r) => r.cpuUs)).toFixed(1)} |`);
}
