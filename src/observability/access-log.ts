import pino, { type Logger } from 'pino';
import type { Consumer } from '../config/types.js';
import type { RouteRuntime } from '../snapshot/types.js';

/** What an access line says about a request: a proxied HTTP request or a WebSocket handshake. */
export interface AccessSource {
  readonly requestId: string;
  readonly method: string;
  /** The request path as sent (no query string). */
  readonly url: string;
  readonly rt: RouteRuntime | null;
  readonly consumer: Consumer | null;
  readonly status: number;
  /** ms, or < 0 when no upstream answered. */
  readonly upstreamLatency: number;
  readonly clientIp: string;
  readonly errorMessage: string | null;
  /** The Host header ('' with `hasHost` false when the request had none). */
  readonly host: string;
  readonly hasHost: boolean;
  readonly userAgent: string | null;
  /** `ip:port` of the last upstream attempt, or null when none was made. */
  readonly upstreamAddr: string | null;
}

/** HTTP-only fields; absent on WebSocket handshake lines. */
export interface HttpAccess {
  proxyLatency: number;
  bytesSent: number;
  tls: boolean;
}

/**
 * Access lines (SPEC §8), one per request, written straight to the logger's destination as the
 * JSON pino itself would write: same keys, same order, same level/time/bindings. Going through
 * `logger.info(object)` cost ~27 µs per request in a CPU profile (fast-redact over every line,
 * pino's generic serializer); an access line's fields are fixed and chosen by us (no header, no
 * credential), so it is built as one string: strings as JSON strings, numbers as they are.
 *
 * Lines are written a batch per event-loop turn (setImmediate): each write to the destination
 * is an fs write handed to libuv's thread pool, ~8 µs of CPU with its callback, which one line
 * per request paid in a profile. A line waits at most until the end of the current turn.
 */
export class AccessLog {
  private readonly stream: { write(line: string): unknown };
  /** `"worker":0,` (the logger's bindings) + the message key. */
  private readonly head: string;
  /** Lines of this event-loop turn, not yet written. */
  private batch = '';
  private scheduled = false;
  private readonly flushBound = (): void => this.flush();

  constructor(logger: Logger, bindings: Record<string, unknown> | null) {
    this.stream = (logger as unknown as Record<symbol, { write(line: string): unknown }>)[pino.symbols.streamSym]!;
    const b = bindings === null ? '' : JSON.stringify(bindings).slice(1, -1);
    this.head = (b === '' ? '' : ',' + b) + ',"msg":"access","request_id":';
  }

  write(r: AccessSource, totalMs: number, http: HttpAccess | null): void {
    const rt = r.rt;
    const service = rt === null || rt.service === null ? null : rt.service.service.name;
    const c = r.consumer;
    const consumer = c === null ? null : c.username ?? c.custom_id ?? c.id;
    const addr = r.upstreamAddr;
    const ua = r.userAgent;
    let line =
      '{"level":"info","time":' +
      Date.now() +
      this.head +
      jsonString(r.requestId) +
      ',"method":' +
      jsonString(r.method) +
      ',"path":' +
      jsonString(r.url) +
      (http === null ? ',"websocket":true' : '') +
      ',"route":' +
      (rt === null ? 'null' : jsonString(rt.label)) +
      ',"service":' +
      (service == null ? 'null' : jsonString(service)) +
      ',"consumer":' +
      (consumer == null ? 'null' : jsonString(consumer)) +
      ',"status":' +
      r.status +
      ',"latency_ms":' +
      round2(totalMs) +
      ',"upstream_latency_ms":' +
      (r.upstreamLatency < 0 ? 'null' : round2(r.upstreamLatency)) +
      ',"upstream_addr":' +
      (addr === null ? 'null' : jsonString(addr));
    if (http !== null) line += ',"proxy_latency_ms":' + round2(http.proxyLatency) + ',"bytes":' + http.bytesSent;
    line +=
      ',"client_ip":' +
      jsonString(r.clientIp) +
      ',"host":' +
      (r.hasHost ? jsonString(r.host) : 'null') +
      ',"user_agent":' +
      (ua === null ? 'null' : jsonString(ua));
    if (http !== null && http.tls) line += ',"tls":true';
    if (r.errorMessage !== null) line += ',"error":' + jsonString(r.errorMessage);
    this.batch += line + '}\n';
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
  }

  /** Writes the lines so far (the end of the turn; tests and shutdown may call it sooner). */
  flush(): void {
    this.scheduled = false;
    const b = this.batch;
    if (b === '') return;
    this.batch = '';
    this.stream.write(b);
  }
}

/** `s` as JSON writes it: printable ASCII without `"` or `\` as is, anything else by JSON.stringify. */
function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

/** A latency rounded to 0.01 ms, as JSON writes it. */
function round2(ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms * 100) / 100 : 0;
}
