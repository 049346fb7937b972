// The proxy's own JavaScript per request, in one process, with uWS and the upstream socket
// replaced by stand-ins: ProxyRequest.handle → body → plugin-less access → the service's client
// stack (retry → balanced → a stand-in pool) → response written to a stand-in uWS response.
// Prints the CPU µs and the bytes allocated on the JS heap per request. No sockets, so a shared
// machine's scheduling and wake-up costs (most of proxy-ab.js's CPU per request, and most of its
// noise) stay out. Run through proxy-path-ab.js, or alone:
//   node --trace-gc-nvp bench/proxy-path.js <build root> <GET|POST> [requests]
import { performance } from 'node:perf_hooks';

const [root, method = 'POST', total = '200000'] = process.argv.slice(2);
const { loadConfigString } = await import(root + '/dist/config/index.js');
const { compile } = await import(root + '/dist/snapshot/compile.js');
const { PoolRegistry } = await import(root + '/dist/upstream/pool.js');
const { ProxyRequest } = await import(root + '/dist/proxy/http.js');
const { retainChunk, releaseChunk } = await import(root + '/dist/upstream/body-buffer.js');

const yaml = `_format_version: "3.0"\nservices:\n  - name: bench\n    url: http://127.0.0.1:9\n    routes:\n      - name: bench\n        paths: [/bench]\n`;
const loaded = loadConfigString(yaml, 'bench.yaml');
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const snapshot = compile(loaded.config, { pools: new PoolRegistry() });

// The upstream's answer, as the h1 client hands it over: header Buffers, then the body lent as a
// view of a read buffer (copiesData), then the end. Bodies are held until "written", as h1 does.
const RESP_HEADERS = ['content-type', 'application/json', 'content-length', '50', 'date', 'Thu, 03 Dec 2026 13:00:00 GMT', 'uWebSockets', '20'].map((s) => Buffer.from(s));
const RESP_BODY = Buffer.from('{"ok":true,"message":"hello from the upstream!!"}\n');
const READ = Buffer.allocUnsafe(65536);
const noop = () => {};
const pool = {
  returnsBodies: true,
  dispatch(opts, handler) {
    const body = Buffer.isBuffer(opts.body) ? opts.body : null;
    if (body !== null) retainChunk(body);
    handler.onConnect?.(noop);
    queueMicrotask(() => {
      if (body !== null) releaseChunk(body);
      handler.onHeaders(200, RESP_HEADERS.slice(), noop, 'OK');
      RESP_BODY.copy(READ);
      handler.onData(READ.subarray(0, RESP_BODY.length));
      handler.onComplete(null);
    });
    return true;
  },
  close: async () => {},
};
for (const s of snapshot.services.values()) {
  for (const p of s.balancer.peers) {
    p.pool = pool;
    p.client = pool; // (builds whose peers have a client stack)
  }
}

let finished = 0;
const state = { snapshot, port: 8000, portText: '8000', tls: false, maxHeaderBytes: 32768, onFinish: () => finished++, inFlight: 0, idPrefix: 'abcd', idCounter: 0 };
const BODY = new ArrayBuffer(16384);
const ADDR = new Uint8Array([127, 0, 0, 1]).buffer;
const post = method === 'POST';
const headers = post ? [['host', '127.0.0.1:8000'], ['content-type', 'application/octet-stream'], ['content-length', '16384']] : [['host', '127.0.0.1:8000']];
const url = post ? '/bench/echo' : '/bench/hello';
class Res {
  data = null;
  onAborted() { return this; }
  onData(cb) { this.data = cb; return this; }
  onWritable() { return this; }
  cork(cb) { cb(); return this; }
  writeStatus() { return this; }
  writeHeader() { return this; }
  end() { return this; }
  endWithoutBody() { return this; }
  tryEnd() { return [true, true]; }
  write() { return true; }
  getWriteOffset() { return 0; }
  getRemoteAddress() { return ADDR; }
  getRemoteAddressAsText() { return ADDR; }
  close() { return this; }
  pause() {}
  resume() {}
}
const req = {
  getCaseSensitiveMethod: () => method,
  getMethod: () => method.toLowerCase(),
  getUrl: () => url,
  getQuery: () => '',
  forEach: (cb) => { for (const [k, v] of headers) cb(k, v); },
  getHeader: (n) => headers.find(([k]) => k === n)?.[1] ?? '',
};

/** `n` requests, 32 per event-loop turn (requests are sent upstream from a setImmediate). */
async function run(n) {
  for (let i = 0; i < n; i += 32) {
    for (let k = 0; k < 32; k++) {
      const res = new Res();
      new ProxyRequest(res, state).handle(req);
      if (res.data !== null) res.data(BODY, true);
    }
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }
}

await run(100_000); // JIT warm-up
const n = Number(total);
const f0 = finished;
console.log('MEASURE-START');
const c0 = process.cpuUsage();
const t0 = performance.now();
await run(n);
const c = process.cpuUsage(c0);
console.log('MEASURE-END');
if (finished - f0 !== n) throw new Error(`${finished - f0} of ${n} requests finished`);
console.log(JSON.stringify({ cpuUsPerReq: (c.user + c.system) / n, wallUsPerReq: ((performance.now() - t0) * 1000) / n }));
