import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { AccessLog, type AccessSource, type HttpAccess } from '../../../src/observability/access-log.js';
import { prettyDestination } from '../../../src/observability/logger.js';
import type { RouteRuntime } from '../../../src/snapshot/types.js';
import type { Consumer } from '../../../src/config/types.js';

/** A logger set up as createLogger does, writing into an array. */
function capture(bindings: Record<string, unknown>): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level: 'info', base: bindings, redact: { paths: ['password', '*.password'], censor: '<redacted>' }, timestamp: pino.stdTimeFunctions.epochTime, formatters: { level: (label) => ({ level: label }) } },
    { write: (s: string) => void lines.push(s) },
  );
  return { logger, lines };
}

/** The access object the worker used to hand to logger.info (the reference format). */
function viaPino(r: AccessSource, total: number, http: HttpAccess | null): Record<string, unknown> {
  const base = {
    msg: 'access',
    request_id: r.requestId,
    method: r.method,
    path: r.url,
    ...(http === null ? { websocket: true } : {}),
    route: r.rt?.label ?? null,
    service: r.rt?.service?.service.name ?? null,
    consumer: r.consumer === null ? null : r.consumer.username ?? r.consumer.custom_id ?? r.consumer.id,
    status: r.status,
    latency_ms: Math.round(total * 100) / 100,
    upstream_latency_ms: r.upstreamLatency < 0 ? null : Math.round(r.upstreamLatency * 100) / 100,
    upstream_addr: r.upstreamAddr,
  };
  const who = { client_ip: r.clientIp, host: r.hasHost ? r.host : null, user_agent: r.userAgent };
  if (http === null) return { ...base, ...who, error: r.errorMessage ?? undefined };
  return { ...base, proxy_latency_ms: Math.round(http.proxyLatency * 100) / 100, bytes: http.bytesSent, ...who, tls: http.tls || undefined, error: r.errorMessage ?? undefined };
}

const rt = { label: 'orders "v2"', service: { service: { name: 'svc\\1', id: 'id-1' } } } as unknown as RouteRuntime;
const consumer = { id: 'c-1', username: null, custom_id: 'käse\n' } as unknown as Consumer;

const cases: Array<[string, AccessSource, number, HttpAccess | null]> = [
  ['plain 200', { requestId: 'ab01', method: 'GET', url: '/x', rt, consumer: null, status: 200, upstreamLatency: 1.234, clientIp: '127.0.0.1', errorMessage: null, host: 'api.test', hasHost: true, userAgent: 'curl/8.5.0', upstreamAddr: '127.0.0.1:8080' }, 2.5678, { proxyLatency: 0.004, bytesSent: 49, tls: false }],
  ['no route, error, quotes and control characters', { requestId: 'ab02', method: 'GET', url: '/a"b\\c\u0001\u2028', rt: null, consumer: null, status: 404, upstreamLatency: -1, clientIp: '::1', errorMessage: 'plugin error: "x"\n', host: '', hasHost: false, userAgent: null, upstreamAddr: null }, 0.3, { proxyLatency: 0, bytesSent: 0, tls: true }],
  ['consumer by custom_id, tls', { requestId: 'ab03', method: 'POST', url: '/p', rt, consumer, status: 201, upstreamLatency: 10, clientIp: '10.0.0.1', errorMessage: null, host: 'h\u00e9"\\x', hasHost: true, userAgent: 'a "quoted" \\ agent \u00ff\u007f\u2028 \ud83d\ude00', upstreamAddr: '[::1]:9000' }, 12, { proxyLatency: 1.005, bytesSent: 1_000_000, tls: true }],
  ['websocket handshake', { requestId: 'ab04', method: 'GET', url: '/ws', rt, consumer, status: 101, upstreamLatency: 3.3333, clientIp: '127.0.0.1', errorMessage: null, host: 'ws.test:8000', hasHost: true, userAgent: 'ws', upstreamAddr: '10.0.0.7:80' }, 4.44444, null],
];

describe('AccessLog', () => {
  for (const [name, src, total, http] of cases) {
    it(`writes the line pino would write: ${name}`, () => {
      const { logger, lines } = capture({ worker: 3 });
      const log = new AccessLog(logger, { worker: 3 });
      log.write(src, total, http);
      log.flush();
      logger.info(viaPino(src, total, http));
      expect(lines).toHaveLength(2);
      const [ours, theirs] = lines.map((l) => l.replace(/"time":\d+/, '"time":0'));
      expect(ours).toBe(theirs);
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', worker: 3, msg: 'access', request_id: src.requestId, path: src.url });
    });
  }

  it('writes the lines of one event-loop turn in one write, at the end of the turn', async () => {
    const { logger, lines } = capture({ worker: 1 });
    const log = new AccessLog(logger, { worker: 1 });
    const [, src, total, http] = cases[0]!;
    log.write(src, total, http);
    log.write({ ...src, requestId: 'second' }, total, http);
    expect(lines).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    const parsed = lines[0]!.trimEnd().split('\n').map((l) => JSON.parse(l) as { request_id: string });
    expect(parsed.map((p) => p.request_id)).toEqual(['ab01', 'second']);
  });

  it('the pretty format prints every line of a batched write', () => {
    const out: string[] = [];
    const dest = prettyDestination({ write: (s: string) => out.push(s) });
    dest.write('{"level":30,"time":0,"msg":"access","request_id":"a"}\n{"level":40,"time":0,"msg":"careful"}\n');
    expect(out).toEqual(['1970-01-01T00:00:00.000Z INFO  access {"request_id":"a"}\n', '1970-01-01T00:00:00.000Z WARN  careful\n']);
  });
});
