// Proxy throughput, side by side in one run: straight to the upstream, nginx (when installed)
// and Sluice (1 worker, no plugins). Load generator and upstream on core 0, proxy on core 1
// (taskset). Prints req/s, p50, p99, CPU µs per request of the proxy process, and ratios.
// `node bench/proxy.js` (BENCH_DURATION=seconds, BENCH_CONNECTIONS=n, BENCH_ROUNDS=n interleaved rounds:
// medians, ratios taken round by round; every target is warmed up for 2 s first).
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { HAS_NGINX, HAS_TASKSET, CONNECTIONS, DURATION, ROOT, ROUNDS, fmt, freePort, measureRounds, medianResult, perRound, processTree, rssKb, spawnPinned, startBenchUpstream, startNginx, startSluice, stop, table, threadCpuSeconds, waitForPort } from './lib.js';

const GiB = 1024 * 1024 * 1024;
const STREAM_BYTES = Number(process.env.BENCH_STREAM_BYTES ?? GiB);

/** A realistic table of ~1,000 routes (prefixes, templates, regexes, hosts) plus /bench. */
function thousandRoutes(upstreamUrl) {
  const out = ['_format_version: "3.0"', 'services:', '  - name: bench', `    url: ${upstreamUrl}`, '    routes:'];
  for (let i = 0; i < 999; i++) {
    const kind = i % 10;
    const path = kind < 6 ? `/api/v${i % 3}/res${i}` : kind < 9 ? `/t/res${i}/{id}` : `~/rx/res${i}/\\d+$`;
    out.push(`      - name: r${i}`, `        paths: ['${path}']`);
    if (i % 7 === 0) out.push('        methods: [GET, POST]');
    if (i % 11 === 0) out.push(`        hosts: [api${i % 5}.example.com, "*.svc${i % 3}.example.com"]`);
  }
  out.push('      - name: bench', '        paths: [/bench]');
  return out.join('\n') + '\n';
}

/** Downloads (GET /bytes/N) or uploads (POST /upload) `bytes` through `url`; MB/s and the proxy's peak RSS. */
function stream(url, bytes, upload, pid) {
  return new Promise((resolve, reject) => {
    let peak = pid ? rssKb(pid) : 0;
    const base = peak;
    const timer = pid
      ? setInterval(() => {
          try {
            peak = Math.max(peak, rssKb(pid));
          } catch {
            clearInterval(timer);
            reject(new Error('the proxy process exited'));
          }
        }, 50)
      : null;
    const t0 = performance.now();
    const done = (n) => {
      if (timer) clearInterval(timer);
      const s = (performance.now() - t0) / 1000;
      resolve({ mbps: n / 1048576 / s, peakMb: pid ? peak / 1024 : NaN, growthMb: pid ? (peak - base) / 1024 : NaN, bytes: n });
    };
    if (!upload) {
      http.get(`${url}/bytes/${bytes}`, { agent: false }, (res) => {
        let n = 0;
        res.on('data', (c) => (n += c.length));
        res.on('end', () => done(n));
      }).on('error', reject);
      return;
    }
    const block = Buffer.alloc(256 * 1024, 97);
    const req = http.request(`${url}/upload`, { method: 'POST', agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        if (timer) clearInterval(timer);
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}: ${body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 60)}`));
        done(JSON.parse(body).bytes);
      });
    });
    req.on('error', reject);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, block.length);
        left -= n;
        if (!req.write(n === block.length ? block : block.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

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
  const sluiceIdleKb = rssKb(sluice.child.pid);
  const sluiceUndici = await startSluice(yaml, { env: { SLUICE_UPSTREAM_CLIENT: 'undici' } });
  const nginx = HAS_NGINX ? await startNginx(upstream.port) : null;
  const sluiceBig = await startSluice(thousandRoutes(upstream.url));
  // The same with an access log line per request (pino, JSON, to /dev/null): what logging costs.
  const sluiceLogged = await startSluice(yaml, { logLevel: 'info' });
  // Two workers on the one core the proxy gets: this machine cannot give a second worker a core
  // of its own (wrk and the upstream need the other), but it shows what a second worker costs
  // per request and how evenly the kernel spreads connections over the two (SO_REUSEPORT).
  const sluiceTwo = await startSluice(yaml, { workers: 2 });
  // The architecture's floor: uWS in, the same upstream client out, nothing else.
  const naivePort = await freePort();
  const naive = spawnPinned('1', process.execPath, [join(ROOT, 'bench', 'naive-proxy.js'), String(upstream.port), String(naivePort)], { cwd: ROOT });
  await waitForPort(naivePort, naive);
  const rows = [['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors']];
  const ratios = [];
  const streams = [['transfer', 'target', 'MB/s', 'peak RSS MB', 'RSS growth MB']];
  // Memory of the 'sluice 1 worker' process (main thread + worker; VmRSS), and nginx's for scale.
  const memory = [['process', 'when', 'RSS MB']];
  const mb = (kb) => fmt(kb / 1024, 1);
  memory.push(['sluice 1 worker', 'idle, after start', mb(sluiceIdleKb)]);
  if (nginx) memory.push(['nginx 1 worker (master + worker)', 'idle, after start', mb(processTree(nginx.child.pid).reduce((a, pid) => a + rssKb(pid), 0))]);
  let streamPeakMb = 0;
  try {
    for (const sc of SCENARIOS) {
      const upPath = sc.path.replace('/bench', '') || '/';
      const t = (name, url, pids) => ({ name, url, pids, method: sc.method, body: sc.body });
      const targets = [
        t('upstream direct', upstream.url + upPath, [upstream.child.pid]),
        ...(nginx ? [t('nginx 1 worker', nginx.url + upPath, processTree(nginx.child.pid))] : []),
        t('sluice 1 worker', sluice.url + sc.path, [sluice.child.pid]),
        t('sluice (undici client)', sluiceUndici.url + sc.path, [sluiceUndici.child.pid]),
      ];
      if (sc.method === 'GET') {
        targets.push(
          t('naive uWS + h1 proxy (floor)', `http://127.0.0.1:${naivePort}${sc.path}`, [naive.pid]),
          t('sluice, access log on (info)', sluiceLogged.url + sc.path, [sluiceLogged.child.pid]),
          t('sluice, 1,000 routes', sluiceBig.url + sc.path, [sluiceBig.child.pid]),
          t('sluice 2 workers, one core', sluiceTwo.url + sc.path, [sluiceTwo.child.pid]),
        );
      }
      const threadsBefore = threadCpuSeconds(sluiceTwo.child.pid);
      const runs = await measureRounds(targets);
      for (const { name } of targets) {
        const r = medianResult(runs[name]);
        rows.push([sc.name, name, fmt(r.rps), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.cpuUsPerReq, 1), fmt(r.errors)]);
      }
      const ratio = (what, a, b, f, digits = 2) => ratios.push([sc.name, what, fmt(perRound(runs[a], runs[b], f), digits)]);
      const rps = (x, y) => x.rps / y.rps;
      const cpu = (x, y) => x.cpuUsPerReq / y.cpuUsPerReq;
      ratio('sluice / direct req/s', 'sluice 1 worker', 'upstream direct', rps);
      if (nginx) {
        ratio('sluice / nginx req/s (target ≥ 1.0)', 'sluice 1 worker', 'nginx 1 worker', rps);
        ratio('sluice / nginx CPU µs per req (target ≤ 1.1)', 'sluice 1 worker', 'nginx 1 worker', cpu);
        ratio('sluice / nginx p99 (target ≤ 1.5)', 'sluice 1 worker', 'nginx 1 worker', (x, y) => x.p99 / y.p99);
        ratio('sluice (undici client) / nginx CPU µs per req', 'sluice (undici client)', 'nginx 1 worker', cpu);
      }
      if (sc.method === 'GET') {
        ratio('sluice / naive floor CPU µs per req', 'sluice 1 worker', 'naive uWS + h1 proxy (floor)', cpu);
        ratio('sluice access log on / off CPU µs per req', 'sluice, access log on (info)', 'sluice 1 worker', cpu);
        ratio('sluice 1,000 routes / 1 route req/s (target ≥ 0.95)', 'sluice, 1,000 routes', 'sluice 1 worker', rps);
        ratio('sluice 1,000 routes / 1 route CPU µs per req', 'sluice, 1,000 routes', 'sluice 1 worker', cpu);
        ratio('sluice 2 workers, one core / 1 worker CPU µs per req', 'sluice 2 workers, one core', 'sluice 1 worker', cpu);
        // The two busiest threads besides the main thread are the workers (the rest is V8's and
        // libuv's helpers): how evenly did they share the load?
        const busy = [...threadCpuSeconds(sluiceTwo.child.pid)]
          .filter(([tid]) => tid !== sluiceTwo.child.pid)
          .map(([tid, s]) => s - (threadsBefore.get(tid) ?? 0))
          .sort((a, b) => b - a);
        if (busy.length >= 2) ratios.push([sc.name, 'sluice 2 workers: CPU of the less / the more busy worker', fmt(busy[1] / busy[0], 2)]);
      }
    }
    memory.push(['sluice 1 worker', 'after the GET and POST rows', mb(rssKb(sluice.child.pid))]);
    // Streaming: one large body each way, MB/s and the proxy's peak RSS.
    for (const upload of [false, true]) {
      const what = `${upload ? 'upload' : 'download'} ${fmt(STREAM_BYTES / GiB, 2)} GiB`;
      const failed = (target) => (err) => {
        streams.push([what, target, `failed: ${err.code ?? err.message}`, '–', '–']);
        return null;
      };
      const direct = await stream(upstream.url, STREAM_BYTES, upload, null).catch(failed('upstream direct'));
      const viaNginx = nginx ? await stream(nginx.url, STREAM_BYTES, upload, nginx.child.pid).catch(failed('nginx 1 worker')) : null;
      const viaSluice = await stream(sluice.url + '/bench', STREAM_BYTES, upload, sluice.child.pid).catch(failed('sluice 1 worker'));
      if (direct) streams.push([what, 'upstream direct', fmt(direct.mbps), '–', '–']);
      if (viaNginx) streams.push([what, 'nginx 1 worker', fmt(viaNginx.mbps), '–', '–']);
      if (viaSluice) streams.push([what, 'sluice 1 worker', fmt(viaSluice.mbps), fmt(viaSluice.peakMb), fmt(viaSluice.growthMb)]);
      if (viaSluice) streamPeakMb = Math.max(streamPeakMb, viaSluice.peakMb);
      if (viaNginx && viaSluice) ratios.push([what, 'sluice / nginx MB/s (target ≥ 0.8)', fmt(viaSluice.mbps / viaNginx.mbps, 2)]);
    }
    if (streamPeakMb > 0) {
      memory.push(['sluice 1 worker', 'peak while streaming 1 GiB each way', fmt(streamPeakMb, 1)]);
      ratios.push(['streaming', 'sluice peak RSS MB (target < 100)', fmt(streamPeakMb, 1)]);
    }
  } finally {
    await stop(sluice.child);
    await stop(sluiceUndici.child);
    await stop(sluiceBig.child);
    await stop(sluiceLogged.child);
    await stop(sluiceTwo.child);
    await stop(naive);
    if (nginx) await stop(nginx.child);
    await stop(upstream.child);
  }
  console.log(`\n## Proxy: ${CONNECTIONS} connections, ${DURATION} s per row${ROUNDS > 1 ? ` × ${ROUNDS} interleaved rounds (medians; ratios per round)` : ''}, load tool ${process.env.BENCH_TOOL ?? 'wrk if installed, else autocannon'}${HAS_TASKSET ? ', pinned (load+upstream core 0, proxy core 1)' : ', not pinned (no taskset)'}\n`);
  table(rows);
  console.log('');
  table(streams);
  console.log('');
  table(memory);
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
