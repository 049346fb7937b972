// A tiny upstream for trying Sluice: answers JSON describing the request it received.
// `node examples/demo-upstream.js [port...]` (default 9001 9002).
import http from 'node:http';

export function startDemoUpstream(port, host = '127.0.0.1') {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const out = JSON.stringify({
        upstream: `${host}:${port}`,
        method: req.method,
        url: req.url,
        headers: req.headers,
        body_bytes: body.length,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ports = process.argv.slice(2).map(Number);
  for (const p of ports.length ? ports : [9001, 9002]) {
    await startDemoUpstream(p);
    console.log(`demo upstream listening on 127.0.0.1:${p}`);
  }
}
