import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** Sends raw bytes on a fresh TCP connection and returns everything received until close or timeout. */
export function rawRequest(port: number, data: string | Buffer, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(t);
      sock.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const t = setTimeout(done, timeoutMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('close', done);
    sock.on('error', done);
    sock.write(data);
  });
}

export interface RawExchange {
  /** Every byte the client received. */
  data: Buffer;
  /** The server closed the connection (false: our deadline ran out first and we closed). */
  closed: boolean;
  /** Milliseconds from the write to close or deadline. */
  ms: number;
}

/**
 * Writes `data` (bytes, or several writes) on a fresh connection, then waits until the server
 * closes it, until `until(received)` says the answer is complete, or until `timeoutMs`.
 */
export function rawExchange(
  port: number,
  data: Buffer | Buffer[],
  opts: { timeoutMs?: number; until?: (received: Buffer) => boolean } = {},
): Promise<RawExchange> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  return new Promise((resolve) => {
    const start = Date.now();
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(t);
      sock.destroy();
      resolve({ data: Buffer.concat(chunks), closed, ms: Date.now() - start });
    };
    const t = setTimeout(() => done(false), timeoutMs);
    sock.on('data', (c) => {
      chunks.push(c);
      if (opts.until !== undefined && opts.until(Buffer.concat(chunks))) done(false);
    });
    sock.on('close', () => done(true));
    sock.on('error', () => done(true));
    sock.setNoDelay(true);
    for (const d of Array.isArray(data) ? data : [data]) sock.write(d);
  });
}

/**
 * Bytes from a string: `\xNN` stands for one byte, `\r`, `\n`, `\t` for CR, LF, HTAB, `\uXXXX`
 * for that character, and every other character is written as UTF-8.
 */
export function bytes(s: string): Buffer {
  const parts: Buffer[] = [];
  let last = 0;
  const re = /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|r|n|t)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    parts.push(Buffer.from(s.slice(last, m.index), 'utf8'));
    const e = m[1]!;
    if (e[0] === 'x') parts.push(Buffer.from([parseInt(e.slice(1), 16)]));
    else if (e[0] === 'u') parts.push(Buffer.from(String.fromCharCode(parseInt(e.slice(1), 16)), 'utf8'));
    else parts.push(Buffer.from(e === 'r' ? '\r' : e === 'n' ? '\n' : '\t', 'latin1'));
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(s.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** HTTP responses in `data`: status codes in order (a simple scan for status lines). */
export function statuses(data: Buffer): number[] {
  const s = data.toString('latin1');
  const out: number[] = [];
  const re = /HTTP\/1\.[01] (\d{3}) /g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) out.push(Number(m[1]));
  return out;
}

/** One request as a recording upstream received it: exact bytes of head and body. */
export interface RecordedRequest {
  /** Request line and header lines, up to and including the blank line. */
  head: Buffer;
  /** The body as it came on the wire (chunked framing included). */
  body: Buffer;
  /** Request line split (bytes): method, target. */
  method: string;
  target: Buffer;
  /** Header lines as [name (lower-case latin1), value bytes]. */
  headers: Array<[string, Buffer]>;
  /** Index of the upstream connection it came on. */
  conn: number;
}

export interface Recorder {
  port: number;
  url: string;
  requests: RecordedRequest[];
  /** Every byte received, per connection. */
  connections: Buffer[];
  /** The value bytes of the first header `name` of a recorded request. */
  header(r: RecordedRequest, name: string): Buffer | undefined;
  close(): Promise<void>;
}

export type RecorderResponder = (r: RecordedRequest, sock: net.Socket) => void;

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Answers `200 ok` with a Content-Length (the default responder). */
export const okResponder: RecorderResponder = (_r, sock) => {
  sock.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok');
};

/**
 * A raw TCP upstream that records the exact bytes of every request it receives (never through an
 * HTTP library that would normalise them) and answers each with `respond` (default: 200 ok).
 * It frames requests itself: head up to CRLFCRLF, then a Content-Length or chunked body.
 */
export async function startRecorder(respond: RecorderResponder = okResponder): Promise<Recorder> {
  const requests: RecordedRequest[] = [];
  const connections: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    const conn = connections.length;
    connections.push(Buffer.alloc(0));
    let buf = Buffer.alloc(0);
    sock.on('data', (c: Buffer) => {
      connections[conn] = Buffer.concat([connections[conn]!, c]);
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const end = buf.indexOf(CRLFCRLF);
        if (end === -1) return;
        const head = buf.subarray(0, end + 4);
        const lines = head.subarray(0, end).toString('latin1').split('\r\n');
        const [method = '', target = ''] = lines[0]!.split(' ');
        const headers: Array<[string, Buffer]> = [];
        let at = lines[0]!.length + 2;
        for (let i = 1; i < lines.length; i++) {
          const line = lines[i]!;
          const colon = line.indexOf(':');
          const name = line.slice(0, colon).toLowerCase();
          let vs = at + colon + 1;
          let ve = at + line.length;
          while (vs < ve && (head[vs] === 32 || head[vs] === 9)) vs++;
          while (ve > vs && (head[ve - 1] === 32 || head[ve - 1] === 9)) ve--;
          headers.push([name, Buffer.from(head.subarray(vs, ve))]);
          at += line.length + 2;
        }
        const te = headers.find(([n]) => n === 'transfer-encoding');
        const cl = headers.find(([n]) => n === 'content-length');
        let bodyEnd: number;
        if (te !== undefined) {
          // Chunked: walk the chunks.
          let p = end + 4;
          for (;;) {
            const le = buf.indexOf('\r\n', p);
            if (le === -1) return;
            const size = parseInt(buf.subarray(p, le).toString('latin1'), 16);
            if (size === 0) {
              const fin = buf.indexOf(CRLFCRLF, le - 2);
              if (fin === -1) return;
              p = fin + 4;
              break;
            }
            p = le + 2 + size + 2;
            if (p > buf.length) return;
          }
          bodyEnd = p;
        } else {
          bodyEnd = end + 4 + (cl === undefined ? 0 : Number(cl[1].toString('latin1')));
          if (bodyEnd > buf.length) return;
        }
        const targetStart = method.length + 1;
        const rec: RecordedRequest = {
          head: Buffer.from(head),
          body: Buffer.from(buf.subarray(end + 4, bodyEnd)),
          method,
          target: Buffer.from(head.subarray(targetStart, targetStart + Buffer.byteLength(target, 'latin1'))),
          headers,
          conn,
        };
        requests.push(rec);
        buf = buf.subarray(bodyEnd);
        respond(rec, sock);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    connections,
    header(r, name) {
      return r.headers.find(([n]) => n === name)?.[1];
    },
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
