// WebSocket round trips, side by side in one run: straight to a `ws` echo upstream, and through
// Sluice (1 worker, no plugins). N client connections each keep one message in flight (send,
// wait for the echo, send again) for BENCH_WS_DURATION seconds (default 5) per target; prints
// echoed messages/s, p50/p99 round trip and the Sluice / direct ratios. 127.0.0.1 only.
// Upstream on core 0, Sluice on core 1 when taskset exists; the clients run in this process.
// `node bench/websocket.js` (BENCH_WS_DURATION=seconds, BENCH_WS_CONNECTIONS=n, BENCH_WS_SIZE=bytes).
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { HAS_TASKSET, fmt, freePort, spawnPinned, startSluice, stop, table, waitForOutput } from './lib.js';

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

/** N connections in closed loop for `seconds`: messages/s and round-trip percentiles (ms). */
async function measure(url, size, seconds) {
  const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => open(url)));
  const payload = Buffer.alloc(size, 97);
  const rtts = [];
  let count = 0;
  let running = true;
  const warmupUntil = performance.now() + 500;
  let start = 0;
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
          if (start === 0) start = now;
          rtts.push(now - sent);
          count++;
        }
        send();
      });
      send();
    }
    setTimeout(() => {
      running = false;
    }, 500 + seconds * 1000);
  });
  const elapsed = (performance.now() - start) / 1000;
  for (const ws of sockets) ws.close();
  rtts.sort((a, b) => a - b);
  const pct = (p) => rtts[Math.min(rtts.length - 1, Math.floor((p / 100) * rtts.length))] ?? NaN;
  return { mps: count / elapsed, p50: pct(50), p99: pct(99), count };
}

export async function run() {
  const upstream = await startUpstream();
  const sluice = await startSluice(`_format_version: "3.0"
services:
  - name: ws
    url: ws://127.0.0.1:${upstream.port}
    routes:
      - name: ws
        paths: [/ws]
`);
  const rows = [['message', 'target', 'msg/s', 'p50 ms', 'p99 ms']];
  const ratios = [['message', 'ratio', 'value']];
  try {
    for (const size of SIZES) {
      const direct = await measure(upstream.url + '/', size, DURATION);
      const via = await measure(`ws://127.0.0.1:${sluice.port}/ws`, size, DURATION);
      const name = `${size} B binary echo`;
      rows.push([name, 'upstream direct', fmt(direct.mps), fmt(direct.p50, 3), fmt(direct.p99, 3)]);
      rows.push([name, 'sluice 1 worker', fmt(via.mps), fmt(via.p50, 3), fmt(via.p99, 3)]);
      ratios.push([name, 'sluice / direct msg/s', fmt(via.mps / direct.mps, 2)]);
      ratios.push([name, 'sluice / direct p99', fmt(via.p99 / direct.p99, 2)]);
    }
  } finally {
    await stop(sluice.child);
    await stop(upstream.child);
  }
  console.log(`\n## WebSocket: ${CONNECTIONS} connections, 1 message in flight each, ${DURATION} s per row${HAS_TASKSET ? ', upstream core 0, sluice core 1' : ', not pinned (no taskset)'}\n`);
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
