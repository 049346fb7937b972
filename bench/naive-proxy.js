// The floor of this architecture, for the proxy benchmark's "naive" row: uWebSockets.js in,
// Sluice's HTTP/1.1 upstream client out, nothing else (no routing, no forwarded headers, no
// plugins, no metrics, no logs). `node bench/naive-proxy.js UPSTREAM_PORT PORT`.
import uWS from '../dist/uws/index.js';
import { H1Pool } from '../dist/upstream/h1/index.js';

const [upstreamPort, port] = process.argv.slice(2).map(Number);
const pool = new H1Pool(`http://127.0.0.1:${upstreamPort}`, { connectTimeout: 5000 });

class Exchange {
  constructor(res) {
    this.res = res;
    this.status = 0;
    this.headers = null;
    this.aborted = false;
    this.ended = false;
  }
  onConnect() {}
  onHeaders(status, headers) {
    this.status = status;
    this.headers = headers;
    return true;
  }
  onData(chunk) {
    if (this.aborted) return true;
    this.res.cork(() => {
      this.res.writeStatus(this.status + ' OK');
      const h = this.headers;
      for (let i = 0; i < h.length; i += 2) {
        const n = h[i].toString('latin1').toLowerCase();
        if (n !== 'content-length' && n !== 'date') this.res.writeHeader(h[i], h[i + 1]);
      }
      this.res.end(chunk);
      this.ended = true;
    });
    return true;
  }
  onComplete() {
    if (!this.ended && !this.aborted) this.res.cork(() => this.res.writeStatus(this.status + ' OK').end());
  }
  onError() {
    if (!this.aborted && !this.ended) this.res.cork(() => this.res.writeStatus('502 Bad Gateway').end());
  }
}

uWS
  .App()
  .any('/*', (res, req) => {
    const x = new Exchange(res);
    res.onAborted(() => (x.aborted = true));
    const headers = [];
    req.forEach((k, v) => headers.push(k, v));
    pool.dispatch({ path: req.getUrl(), method: 'GET', headers, body: null, headersTimeout: 60000, bodyTimeout: 60000 }, x);
  })
  .listen('127.0.0.1', port, (t) => {
    if (!t) process.exit(1);
  });
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(0));
