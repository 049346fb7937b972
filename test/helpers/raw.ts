import net from 'node:net';

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
