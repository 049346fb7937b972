// Shared helpers for the benchmarks: processes pinned to cores, CPU time from /proc, load
// generators (wrk when installed, else autocannon), free ports, and table printing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DURATION = Number(process.env.BENCH_DURATION ?? 10);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);

export function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
export const HAS_TASKSET = has('taskset');
export const HAS_WRK = has('wrk');
export const HAS_NGINX = has('nginx');

/** Spawns a command pinned to `cores` (e.g. "0") when taskset exists. */
export function spawnPinned(cores, cmd, args, opts = {}) {
  const [c, a] = HAS_TASKSET && cores !== null ? ['taskset', ['-c', cores, cmd, ...args]] : [cmd, args];
  // Each child leads its own process group, so stopping it also stops what it started (nginx's
  // workers, a gateway's threads) even when the benchmark itself dies.
  const child = spawn(c, a, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...opts });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

const children = new Set();

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

export function killAll() {
  for (const c of children) signalGroup(c, 'SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}
process.on('uncaughtException', (err) => {
  console.error(err);
  killAll();
  process.exit(1);
});

export function waitForOutput(child, pattern, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${pattern}: ${buf.slice(-2000)}`)), timeoutMs);
    const on = (d) => {
      buf += d.toString();
      if (pattern.test(buf)) {
        clearTimeout(t);
        resolve(buf);
      }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`exited (${code}) before ${pattern}: ${buf.slice(-2000)}`));
    });
  });
}

export async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  signalGroup(child, 'SIGTERM');
  const t = setTimeout(() => signalGroup(child, 'SIGKILL'), 10000);
  await done;
  clearTimeout(t);
}

export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const TICK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100);
/** CPU seconds (user + system, all threads) a process has used so far; `pid/task/tid` for one thread. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}
/** CPU seconds each thread of a process has used so far, by thread id (/proc/PID/task). */
export function threadCpuSeconds(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), cpuSeconds(`${pid}/task/${tid}`));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}
/** CPU seconds of a process and its children that are still running (nginx master + worker). */
export function treeCpuSeconds(pids) {
  return pids.reduce((a, p) => {
    try {
      return a + cpuSeconds(p);
    } catch {
      return a;
    }
  }, 0);
}

export function rssKb(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
export function processTree(pid) {
  const out = [pid];
  for (const c of childPids(pid)) out.push(...processTree(c));
  return out;
}

function parseWrkLatency(s) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(s.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/**
 * Runs load against `url` for DURATION seconds, pinned to core 0. `serverPids` are measured for
 * CPU time. Returns { rps, p50, p99, cpuUsPerReq, errors, tool }.
 */
export async function load(url, { serverPids = [], method = 'GET', body = null, connections = CONNECTIONS, duration = DURATION, cores = '0', perfPid = null } = {}) {
  const perf = perfPid === null ? null : startPerf(perfPid);
  const cpu0 = treeCpuSeconds(serverPids);
  let result;
  if (HAS_WRK) {
    const args = ['-t1', `-c${connections}`, `-d${duration}s`, '--latency', url];
    if (method !== 'GET' || body) {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
      const script = join(dir, 'req.lua');
      writeFileSync(script, `wrk.method = "${method}"\nwrk.body = string.rep("a", ${body ?? 0})\nwrk.headers["Content-Type"] = "application/octet-stream"\n`);
      args.unshift('-s', script);
    }
    const child = spawnPinned(cores, 'wrk', args);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((r) => child.once('exit', r));
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
    const p50 = parseWrkLatency(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
    const p99 = parseWrkLatency(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    const errors = non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
    const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    result = { rps, p50, p99, errors, total, tool: 'wrk' };
  } else {
    const args = [join(ROOT, 'node_modules', 'autocannon', 'autocannon.js'), '-j', '-c', String(connections), '-d', String(duration), '-m', method];
    if (body) args.push('-b', 'a'.repeat(body), '-H', 'content-type=application/octet-stream');
    args.push(url);
    const child = spawnPinned(cores, process.execPath, args);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((r) => child.once('exit', r));
    const j = JSON.parse(out);
    result = { rps: j.requests.average, p50: j.latency.p50, p99: j.latency.p99, errors: j.errors + j.non2xx + j.timeouts, total: j.requests.total, tool: 'autocannon' };
  }
  const cpu = treeCpuSeconds(serverPids) - cpu0;
  result.cpuUsPerReq = serverPids.length && result.total ? (cpu * 1e6) / result.total : NaN;
  const instructions = perf === null ? NaN : await perf.stop();
  result.instrPerReq = result.total ? instructions / result.total : NaN;
  return result;
}

/**
 * `perf stat -e instructions:u` attached to `pid` (all its threads) until stop(), which resolves
 * to the count, or NaN when perf is missing, not permitted, or the machine has no such counter
 * (most VMs): the column then reads "n/a" and everything else is measured as before.
 */
export function startPerf(pid) {
  if (!existsSync('/usr/bin/perf')) return { stop: async () => NaN };
  const child = spawn('/usr/bin/perf', ['stat', '-x', ',', '-e', 'instructions:u', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.on('error', () => undefined);
  const exited = new Promise((r) => child.once('close', r));
  return {
    async stop() {
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      const line = err.split('\n').find((l) => l.includes('instructions'));
      const n = line === undefined ? NaN : Number(line.split(',')[0]);
      return Number.isFinite(n) ? n : NaN;
    },
  };
}

/** BENCH_ROUNDS: interleaved rounds per measurement; figures are medians, ratios taken round by round. */
export const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));

export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** One result from several rounds of the same target: the median of each figure, errors summed. */
export function medianResult(list) {
  return {
    rps: median(list.map((x) => x.rps)),
    p50: median(list.map((x) => x.p50)),
    p99: median(list.map((x) => x.p99)),
    cpuUsPerReq: median(list.map((x) => x.cpuUsPerReq)),
    instrPerReq: median(list.map((x) => x.instrPerReq ?? NaN)),
    errors: list.reduce((a, x) => a + x.errors, 0),
  };
}

/**
 * Measures each target ({ name, url, pids, method?, body? }) ROUNDS times, interleaved (round r
 * starts with target r, so load that comes and goes hits every target alike), after a 2 s
 * warm-up of each (JIT, connection pools). Returns name → one result per round.
 */
export async function measureRounds(targets) {
  for (const t of targets) await load(t.url, { method: t.method, body: t.body, duration: 2 });
  const out = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(r + k) % targets.length];
      out[t.name].push(await load(t.url, { serverPids: t.pids, method: t.method, body: t.body, perfPid: t.perfPid ?? null }));
    }
  }
  return out;
}

/** The median over rounds of f(a[i], b[i]): a ratio measured within each round. */
export function perRound(a, b, f) {
  return median(a.map((x, i) => f(x, b[i])));
}

export function fmt(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Prints an aligned table: rows are arrays of cells; the first row is the header. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => '| ' + r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ') + ' |';
  console.log(line(rows[0]));
  console.log('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const r of rows.slice(1)) console.log(line(r));
}

/**
 * Loads each [name, path] of one Sluice in turn: a short warm-up of every route first (JIT,
 * connection pools), then the measured runs; appends table rows and keeps each result by name.
 */
export async function loadRoutes(sluice, targets, rows, results) {
  for (const [, path] of targets) await load(sluice.url + path, { duration: 2 });
  for (const [name, path] of targets) {
    const r = await load(sluice.url + path, { serverPids: [sluice.child.pid] });
    results[name] = r;
    rows.push([name, fmt(r.rps), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.cpuUsPerReq, 1), fmt(r.errors)]);
  }
}

/** Polls until something answers HTTP on the port (any status). */
export async function waitForPort(port, child, timeoutMs = 15000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before listening on ${port}`);
    const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.arrayBuffer().then(() => true), () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
}

/** Starts the bench upstream (uWS) pinned to core 0. */
export async function startBenchUpstream() {
  const port = await freePort();
  const child = spawnPinned('0', process.execPath, [join(ROOT, 'bench', 'upstream.js'), String(port)], { cwd: ROOT });
  await waitForOutput(child, /ready/);
  return { child, port, url: `http://127.0.0.1:${port}` };
}

/** Starts Sluice with a YAML config, pinned to `cores`. */
export async function startSluice(yaml, { workers = 1, cores = '1', logLevel = 'warn', env = {}, root = ROOT } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const config = join(dir, 'gateway.yaml');
  writeFileSync(config, yaml);
  const port = await freePort();
  const child = spawnPinned(cores, process.execPath, [join(root, 'bin', 'sluice.js'), 'start', '-c', config, '--proxy-listen', `127.0.0.1:${port}`, '--admin-listen', 'off', '--workers', String(workers), '--log-level', logLevel], {
    cwd: root,
    env: { ...process.env, ...env },
    // Access logs (info) go to /dev/null: nothing reads the pipe, which would fill and block.
    ...(logLevel === 'warn' || logLevel === 'error' ? {} : { stdio: ['ignore', 'ignore', 'pipe'] }),
  });
  await waitForPort(port, child);
  return { child, port, url: `http://127.0.0.1:${port}`, config };
}

/** Starts nginx as a reverse proxy with upstream keepalive, 1 worker, pinned to `cores`. */
export async function startNginx(upstreamPort, { cores = '1', workers = 1 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes ${workers};
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_buffering off;
      proxy_request_buffering off;
      client_max_body_size 0;
    }
  }
}
`,
  );
  const child = spawnPinned(cores, 'nginx', ['-c', conf, '-p', dir, '-e', join(dir, 'error.log')]);
  await waitForPort(port, child);
  return { child, port, url: `http://127.0.0.1:${port}` };
}
