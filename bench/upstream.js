// A fast upstream for benchmarks (uWebSockets.js): GET answers a ~50-byte JSON body; POST reads
// the body and answers the same; /bytes/N streams N bytes. `node bench/upstream.js PORT`.
import uWS from '../dist/uws/index.js';

const port = Number(process.argv[2] ?? 9100);
const BODY = '{"ok":true,"message":"hello from the upstream!!"}';
const BLOCK = Buffer.alloc(256 * 1024, 120);

function stream(res, size) {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  let sent = 0;
  const pump = () => {
    while (!aborted && sent < size) {
      const n = Math.min(BLOCK.length, size - sent);
      const chunk = n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n);
      const offset = res.getWriteOffset();
      const [ok, done] = res.tryEnd(chunk, size);
      if (done) return true;
      if (!ok) {
        const start = offset;
        res.onWritable((off) => {
          const [ok2, done2] = res.tryEnd(chunk.subarray(off - start), size);
          if (done2) return true;
          if (ok2) { sent += n; setImmediate(() => res.cork(pump)); }
          return ok2;
        });
        return false;
      }
      sent += n;
    }
    return true;
  };
  res.cork(pump);
}

uWS
  .App()
  .get('/bytes/:n', (res, req) => stream(res, Number(req.getParameter(0))))
  .post('/upload', (res) => {
    let n = 0;
    res.onAborted(() => {});
    res.onData((chunk, last) => {
      n += chunk.byteLength;
      if (last) res.cork(() => res.writeHeader('content-type', 'application/json').end(`{"bytes":${n}}`));
    });
  })
  .post('/*', (res) => {
    res.onAborted(() => {});
    res.onData((_c, last) => {
      if (last) res.cork(() => res.writeHeader('content-type', 'application/json').end(BODY));
    });
  })
  .any('/*', (res) => {
    res.writeHeader('content-type', 'application/json').end(BODY);
  })
  .listen('127.0.0.1', port, (t) => {
    if (!t) {
      console.error(`bench upstream: cannot listen on ${port}`);
      process.exit(1);
    }
    console.log(`ready ${port}`);
  });
