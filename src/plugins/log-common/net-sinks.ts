import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { isIPv6 } from 'node:net';
import { BatchQueue } from './batch-queue.js';

/**
 * Network sinks of the logging plugins. Both take already-encoded lines from a BatchQueue
 * drained once per event-loop turn: the log phase only pushes onto an array.
 */

/** Queue settings of the sinks whose Kong plugin has no `queue` block (tcp-log, udp-log, syslog). */
function streamQueue(plugin: string, retrySeconds: number) {
  return {
    plugin,
    maxBatchSize: 1000,
    maxCoalescingDelay: 0,
    maxEntries: 10000,
    initialRetryDelay: 0.01,
    maxRetryDelay: 1,
    maxRetryTime: retrySeconds,
  };
}

export interface TcpSinkOptions {
  host: string;
  port: number;
  /** Connect/write timeout, ms. */
  timeout: number;
  /** Idle time before the connection is closed, ms. */
  keepalive: number;
  tls: boolean;
  tlsSni: string | null;
  sslVerify: boolean;
}

/**
 * One persistent TCP (or TLS) connection, opened on first use and closed after `keepalive` ms
 * idle; lines are written in batches. A failed connection or write is retried with backoff for
 * up to `timeout` ms, then the batch is dropped (counted).
 */
export class TcpSink {
  readonly queue: BatchQueue<string>;
  private socket: net.Socket | null = null;
  private connecting: Promise<net.Socket> | null = null;

  constructor(
    plugin: string,
    private readonly o: TcpSinkOptions,
  ) {
    this.queue = new BatchQueue(streamQueue(plugin, Math.max(0.05, o.timeout / 1000)), (batch) => this.write(batch.join('')));
  }

  private connect(): Promise<net.Socket> {
    if (this.socket !== null) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const o = this.o;
      const s = o.tls
        ? tls.connect({ host: o.host, port: o.port, servername: o.tlsSni ?? (net.isIP(o.host) ? undefined : o.host), rejectUnauthorized: o.sslVerify })
        : net.connect({ host: o.host, port: o.port });
      const timer = setTimeout(() => s.destroy(new Error('connect timeout')), o.timeout);
      timer.unref();
      s.once(o.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.setTimeout(Math.max(1, o.keepalive), () => s.end());
        this.socket = s;
        this.connecting = null;
        resolve(s);
      });
      s.on('error', (err) => {
        clearTimeout(timer);
        if (this.connecting !== null && this.socket !== s) {
          this.connecting = null;
          reject(err);
        }
      });
      s.on('close', () => {
        if (this.socket === s) this.socket = null;
      });
      s.unref();
    });
    return this.connecting;
  }

  private async write(text: string): Promise<void> {
    const s = await this.connect();
    await new Promise<void>((resolve, reject) => {
      s.write(text, (err) => {
        if (err) {
          s.destroy();
          reject(err);
        } else resolve();
      });
    });
  }
}

/** One UDP socket sending one datagram per entry (udp-log, syslog). */
export class UdpSink {
  readonly queue: BatchQueue<string | Buffer>;
  private socket: dgram.Socket | null = null;

  constructor(
    plugin: string,
    private readonly host: string,
    private readonly port: number,
    timeoutMs: number,
  ) {
    this.queue = new BatchQueue(streamQueue(plugin, Math.max(0.05, timeoutMs / 1000)), (batch) => this.send(batch));
  }

  private open(): dgram.Socket {
    if (this.socket !== null) return this.socket;
    const s = dgram.createSocket(isIPv6(this.host) ? 'udp6' : 'udp4');
    s.on('error', () => {
      if (this.socket === s) this.socket = null;
      s.close();
    });
    s.unref();
    this.socket = s;
    return s;
  }

  private async send(batch: Array<string | Buffer>): Promise<void> {
    const s = this.open();
    // Entries already sent are not sent again on retry.
    while (batch.length > 0) {
      await new Promise<void>((resolve, reject) => s.send(batch[0]!, this.port, this.host, (err) => (err ? reject(err) : resolve())));
      batch.shift();
    }
  }
}
