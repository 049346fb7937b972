import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const MB = 1024 * 1024;
const BLOCK = Buffer.alloc(64 * 1024);
for (let i = 0; i < BLOCK.length; i++) BLOCK[i] = (i * 2654435761) >>> 24;

/** sha256 of `size` bytes of the repeating block (what the upstream sends). */
function expectedSha(size: number): string {
  const h = createHash('sha256');
  let left = size;
  while (left > 0) {
    const n = Math.min(left, BLOCK.length);
    h.update(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n));
    left -= n;
  }
  return h.digest('hex');
}

let up: Upstream;
let gw: GatewayProcess;

beforeAll(async () => {
  up = await startUpstream(
    (req, res) => {
      if (req.url!.startsWith('/download/')) {
        const size = Number(req.url!.split('/')[2]);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
        let left = size;
        const pump = (): void => {
          while (left > 0) {
            const n = Math.min(left, BLOCK.length);
            left -= n;
            if (!res.write(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n))) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      if (req.url!.startsWith('/json/')) {
        // A JSON document of `size` bytes of payload, written in 64 KiB pieces: many reads.
        const size = Number(req.url!.split('/')[2]);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"data":"');
        let left = size;
        const piece = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789');
        const pump = (): void => {
          while (left > 0) {
            const n = Math.min(left, piece.length);
            left -= n;
            if (!res.write(piece.subarray(0, n))) return void res.once('drain', pump);
          }
          res.end('"}');
        };
        pump();
        return;
      }
      if (req.url === '/early') {
        // Answers before reading the request body, then reads it slowly.
        res.end('early');
        req.pause();
        setTimeout(() => req.resume(), 300);
        return;
      }
      if (req.url === '/upload') {
        const h = createHash('sha256');
        let n = 0;
        req.on('data', (c: Buffer) => {
          h.update(c);
          n += c.length;
        });
        req.on('end', () => res.end(JSON.stringify({ bytes: n, sha256: h.digest('hex') })));
        return;
      }
      res.end('?');
    },
    { rawBody: true },
  );
  gw = await startGateway(`
_format_version: "3.0"
services:
  - name: files
    url: ${up.url}
    routes:
      - name: files
        paths: [/]
        strip_path: false
      - name: transformed
        paths: [/json]
        strip_path: false
        plugins:
          - name: response-transformer
            config:
              add:
                json: ["added:yes"]
`);
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

/** Streams `size` bytes of the repeating block to /upload (with backpressure); the upstream answers their sha256. */
function upload(method: string, size: number, headers: Record<string, string>): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${gw.url}/upload`, { method, agent: false, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(JSON.parse(body) as { bytes: number; sha256: string }));
    });
    req.on('error', reject);
    let left = size;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, BLOCK.length);
        left -= n;
        if (!req.write(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** Downloads `path`, pausing for `pauseMs` once `pauseAfter` bytes are in; the body's sha256 and length. */
function download(path: string, pauseAfter = Infinity, pauseMs = 0): Promise<{ sha: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    http.get(`${gw.url}${path}`, { agent: false }, (res) => {
      const h = createHash('sha256');
      let bytes = 0;
      let paused = false;
      res.on('data', (c: Buffer) => {
        h.update(c);
        bytes += c.length;
        if (!paused && bytes > pauseAfter) {
          paused = true;
          res.pause();
          setTimeout(() => res.resume(), pauseMs);
        }
      });
      res.on('end', () => resolve({ sha: h.digest('hex'), bytes }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

function sampleRss(gw: GatewayProcess): { stop(): number } {
  let max = gw.rssKb();
  const t = setInterval(() => {
    try {
      max = Math.max(max, gw.rssKb());
    } catch {
      /* exited */
    }
  }, 50);
  return {
    stop() {
      clearInterval(t);
      return max;
    },
  };
}

describe('streaming with backpressure', () => {
  it('downloads 200 MB intact while the gateway memory stays flat', async () => {
    const size = 200 * MB;
    // Warm up (JIT, pools, first buffers) so the baseline is the steady state.
    await fetch(`${gw.url}/download/${20 * MB}`).then((r) => r.arrayBuffer());
    const base = gw.rssKb();
    const rss = sampleRss(gw);
    // A slow client for a moment: the gateway must apply backpressure, not buffer.
    const { sha, bytes } = await download(`/download/${size}`, 20 * MB, 1000);
    const peak = rss.stop();
    expect(bytes).toBe(size);
    expect(sha).toBe(expectedSha(size));
    // Flat: growth far below the body size (a buffering proxy would grow by ~200 MB).
    expect(peak - base).toBeLessThan(64 * 1024);
  });

  it('a stalled download and a fast one at once through one worker: both intact', async () => {
    // The stalled one holds a chunk uWS could not send while the fast one's upstream reads go
    // through the same worker (and its shared read buffer).
    const [slow, fast] = await Promise.all([download(`/download/${30 * MB}`, 2 * MB, 1500), download(`/download/${60 * MB + 123}`)]);
    expect(slow).toEqual({ sha: expectedSha(30 * MB), bytes: 30 * MB });
    expect(fast).toEqual({ sha: expectedSha(60 * MB + 123), bytes: 60 * MB + 123 });
  });

  it('a response held whole for a plugin (response-transformer, 3 MB over many reads) is intact', async () => {
    const size = 3 * MB;
    const res = await fetch(`${gw.url}/json/${size}`);
    const body = (await res.json()) as { data: string; added: string };
    expect(body.added).toBe('yes');
    expect(body.data.length).toBe(size);
    const piece = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789').toString();
    for (let i = 0; i < size; i += piece.length) expect(body.data.slice(i, i + piece.length), `at ${i}`).toBe(piece.slice(0, Math.min(piece.length, size - i)));
  });

  it('many small bodies at once (read whole into pooled memory) each reach the upstream intact', async () => {
    // Bodies of 5-60 KiB with a Content-Length are read whole before dispatch, into memory that
    // is reused once a request is over: no body may ever carry another's bytes.
    const bodies = Array.from({ length: 300 }, (_, i) => {
      const b = Buffer.alloc(5000 + ((i * 7919) % 56000));
      for (let k = 0; k < b.length; k++) b[k] = (k * 131 + i * 17) & 0xff;
      return b;
    });
    const results: Array<{ bytes: number; sha256: string }> = [];
    for (let i = 0; i < bodies.length; i += 50) {
      results.push(...(await Promise.all(bodies.slice(i, i + 50).map((b) => fetch(`${gw.url}/upload`, { method: 'POST', body: b }).then((r) => r.json() as Promise<{ bytes: number; sha256: string }>)))));
    }
    results.forEach((r, i) => expect(r, `body ${i}`).toEqual({ bytes: bodies[i]!.length, sha256: createHash('sha256').update(bodies[i]!).digest('hex') }));
  });

  it('an upstream that answers before reading the body: the next requests\' bodies stay intact', async () => {
    const body = Buffer.alloc(60_000, 0x61);
    for (let round = 0; round < 5; round++) {
      const early = await fetch(`${gw.url}/early`, { method: 'POST', body });
      expect(await early.text()).toBe('early');
      const others = Array.from({ length: 10 }, (_, i) => Buffer.alloc(50_000 + i, 0x30 + i));
      const got = await Promise.all(others.map((b) => fetch(`${gw.url}/upload`, { method: 'POST', body: b }).then((r) => r.json() as Promise<{ sha256: string }>)));
      got.forEach((r, i) => expect(r.sha256, `round ${round} body ${i}`).toBe(createHash('sha256').update(others[i]!).digest('hex')));
    }
  });

  it('uploads 50 MB intact (streamed, chunked) while the gateway memory stays flat', async () => {
    const size = 50 * MB;
    const base = gw.rssKb();
    const rss = sampleRss(gw);
    const result = await upload('POST', size, { 'content-type': 'application/octet-stream' });
    const peak = rss.stop();
    expect(result.bytes).toBe(size);
    expect(result.sha256).toBe(expectedSha(size));
    expect(peak - base).toBeLessThan(64 * 1024);
  });

  it('uploads 50 MB with a Content-Length intact', async () => {
    const size = 50 * MB;
    const res = await upload('PUT', size, { 'content-length': String(size) });
    expect(res.bytes).toBe(size);
    expect(res.sha256).toBe(expectedSha(size));
  });
});
