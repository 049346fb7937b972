import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Upstream {
  server: http.Server;
  port: number;
  url: string;
  /** Requests seen so far (method, url, headers, body length). */
  seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; bodyBytes: number }>;
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

/** A real HTTP upstream on 127.0.0.1. The default handler echoes the request as JSON. */
export async function startUpstream(handler?: Handler, opts: { rawBody?: boolean } = {}): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server = http.createServer((req, res) => {
    if (opts.rawBody) {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, bodyBytes: -1 });
      handler!(req, res, Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, bodyBytes: body.length });
      if (handler) return handler(req, res, body);
      const out = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
