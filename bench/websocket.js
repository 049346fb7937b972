// WebSocket round trips, side by side in one run: straight to a `ws` echo upstream, and through
// Sluice (1 worker, no plugins). N client connections each keep one message in flight (send,
// wait for the echo, send again) for BENCH_WS_DURATION seconds (default 5) per target; prints
// echoed messages/s, p50/p99 round trip and the Sluice / direct ratios. 127.0.0.1 only.
// Upstream on core 0, Sluice on core 1 when taskset exists; the clients run in this process.
// `node bench/websocket.js` (BENCH_WS_DURATION=seconds, BENCH_WS_CONNECTIONS=n, BENCH_WS_SIZE=bytes).
// Before/after in one run: BENCH_WS_BEFORE=/path/to/other/checkout (with its own `npm run build`)
// adds a "before" Sluice beside this build's, measured in BENCH_ROUNDS interleaved rounds (medians;
// CPU µs per echoed message is the Sluice process's user + system time over the measured window).
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { HAS_TASKSET, ROOT, ROUNDS, cpuSeconds, fmt, freePort, median, spawnPinned, startSluice, stop, table, waitForOutput } from './lib.js';

const DURATION = Number(process.env.BENCH_WS_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_WS_CONNECTIONS ?? 32);
const SIZES = process.env.BENCH_WS_SIZE ? [Number(process.env.BENCH_WS_SIZE)] : [64, 16384];

const UPSTREAM = `
import { WebSocketServer } from 'ws';
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[1]), perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
wss.on('connection', (ws) => ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary })));
wss.on('listening', () => console.log('listening'));
`;

async function startUpstream() {
  const port = await freePort();
  const child = spawnPinned('0', process.execPath, ['--input-type=module', '-e', UPSTREAM, String(port)], { cwd: new URL('..', import.meta.url).pathname });
  await waitForOutput(child, /listening/);
  return { child, port, url: `ws://127.0.0.1:${port}` };
}

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/**
 * N connections in closed loop for `seconds`: messages/s, round-trip percentiles (ms) and, when
 * `pid` is given, that process's CPU µs per echoed message.
 */
async function measure(url, size, seconds, pid = 0) {
  const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => open(url)));
  const payload = Buffer.alloc(size, 97);
  const rtts = [];
  let count = 0;
  let running = true;
  const warmupUntil = performance.now() + 500;
  let start = 0;
  let cpu0 = 0;
  let cpu1 = 0;
  let counted = 0;
  await new Promise((resolve) => {
    let active = sockets.length;
    for (const ws of sockets) {
      let sent = 0;
      const send = () => {
        if (!running) {
          if (--active === 0) resolve();
          return;
        }
        sent = performance.now();
        ws.send(payload, { binary: true });
      };
      ws.on('message', () => {
        const now = performance.now();
        if (now >= warmupUntil) {
          if (start === 0) {
            start = now;
            if (pid) cpu0 = cpuSeconds(pid);
          }
          rtts.push(now - sent);
          count++;
        }
        send();
      });
      send();
    }
    setTimeout(() => {
      running = false;
      if (pid) cpu1 = cpuSeconds(pid);
      counted = count;
    }, 500 + seconds * 1000);
  });
  const elapsed = (performance.now() - start) / 1000;
  for (const ws of sockets) ws.close();
  rtts.sort((a, b) => a - b);
  const pct = (p) => rtts[Math.min(rtts.length - 1, Math.floor((p / 100) * rtts.length))] ?? NaN;
  return { mps: count / elapsed, p50: pct(50), p99: pct(99), count, cpuUsPerMsg: pid && counted ? ((cpu1 - cpu0) * 1e6) / counted : NaN };
}

const BUILDS = [...(process.env.BENCH_WS_BEFORE ? [['before', process.env.BENCH_WS_BEFORE]] : []), ['this build', ROOT]];

export async function run() {
  const upstream = await startUpstream();
  const yaml = `_format_version: "3.0"
services:
  - name: ws
    url: ws://127.0.0.1:${upstream.port}
    routes:
      - name: ws
        paths: [/ws]
`;
  const gws = [];
  const ab = BUILDS.length > 1;
  const rows = [['message', 'target', 'msg/s', 'p50 ms', 'p99 ms', 'CPU µs/msg']];
  const ratios = [['message', 'ratio', 'value']];
  try {
    for (const [name, root] of BUILDS) gws.push([ab ? `sluice 1 worker (${name})` : 'sluice 1 worker', await startSluice(yaml, { root })]);
    const rounds = ab ? ROUNDS : 1;
    for (const size of SIZES) {
      const results = new Map([['upstream direct', []], ...gws.map(([name]) => [name, []])]);
      for (let r = 0; r < rounds; r++) {
        results.get('upstream direct').push(await measure(upstream.url + '/', size, DURATION));
        // Alternate which build goes first from round to round.
        const order = r % 2 === 0 ? gws : [...gws].reverse();
        for (const [name, g] of order) results.get(name).push(await measure(`ws://127.0.0.1:${g.port}/ws`, size, DURATION, g.child.pid));
      }
      const msg = `${size} B binary echo`;
      const med = {};
      for (const [name, list] of results) {
        const m = (k) => median(list.map((x) => x[k]));
        med[name] = { mps: m('mps'), p50: m('p50'), p99: m('p99'), cpu: m('cpuUsPerMsg') };
        const perRound = rounds > 1 && name !== 'upstream direct' ? '  (' + list.map((x) => fmt(x.cpuUsPerMsg, 1)).join(', ') + ')' : '';
        rows.push([msg, name, fmt(med[name].mps), fmt(med[name].p50, 3), fmt(med[name].p99, 3), Number.isNaN(med[name].cpu) ? '' : fmt(med[name].cpu, 1) + perRound]);
      }
      const direct = med['upstream direct'];
      for (const [name] of gws) {
        const label = ab ? name.slice(name.indexOf('(')) + ' ' : '';
        ratios.push([msg, `sluice ${label}/ direct msg/s`, fmt(med[name].mps / direct.mps, 2)]);
        ratios.push([msg, `sluice ${label}/ direct p99`, fmt(med[name].p99 / direct.p99, 2)]);
      }
      if (ab) ratios.push([msg, 'this build / before CPU µs/msg', fmt(med[gws[1][0]].cpu / med[gws[0][0]].cpu, 3)]);
    }
  } finally {
    for (const [, g] of gws) await stop(g.child);
    await stop(upstream.child);
  }
  const roundsNote = ab ? `, ${ROUNDS} interleaved round${ROUNDS === 1 ? '' : 's'} (medians; per-round CPU in parentheses)` : '';
  console.log(`\n## WebSocket: ${CONNECTIONS} connections, 1 message in flight each, ${DURATION} s per row${roundsNote}${HAS_TASKSET ? ', upstream core 0, sluice core 1' : ', not pinned (no taskset)'}\n`);
  table(rows);
  console.log('');
  table(ratios);
  return { rows, ratios };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
