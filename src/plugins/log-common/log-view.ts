import type { Route, Service } from '../../config/types.js';
import type { LogInfo, PluginContext } from '../types.js';

/**
 * What the logging plugins read of a finished request beyond PluginContext and LogInfo. The
 * HTTP proxy's request object (src/proxy/http.ts, ProxyRequest) carries these as public fields;
 * every one is optional here so that another host of the plugin chain (the WebSocket upgrade)
 * degrades to null/absent values instead of failing. Read only in the log phase.
 */
export interface RequestLogView extends PluginContext {
  /** performance.now() when the request arrived. */
  start?: number;
  url?: string;
  headerBytes?: number;
  /** Raw upstream response headers [name, value, ...] (undici Buffers). */
  upstreamHeaders?: Buffer[] | null;
  /** Response headers plugins added [name, value, ...]. */
  responseHeaders?: string[] | null;
  removedResponseHeaders?: Set<string> | null;
  attempts?: number;
  /** The peer of the last upstream attempt, and those of the earlier attempts (oldest first). */
  target?: TriedPeer | null;
  earlierTargets?: readonly TriedPeer[] | null;
  proxyLatency?: number;
  dispatched?: boolean;
  match?: { upstreamPath: string } | null;
  upstreamQuery?: string | null;
  body?: unknown;
  bodyStream?: { received: number } | null;
  state?: { tls: boolean; port: number };
  rt?: { service: { service: Service; upstream: { name: string } | null } | null } | null;
}

/** What a log entry says of an upstream attempt's peer. */
export interface TriedPeer {
  readonly host: string;
  readonly port: number;
}

const ORIGIN = performance.timeOrigin;

/** Epoch ms when the request arrived. */
export function startedAt(ctx: RequestLogView, info: LogInfo): number {
  return ctx.start !== undefined ? Math.round(ORIGIN + ctx.start) : Math.round(Date.now() - info.latencyMs);
}

/** Epoch ns (as a decimal string, OTLP JSON) of a performance.now() instant. */
export function epochNanos(perfMs: number): string {
  const ms = ORIGIN + perfMs;
  const whole = Math.floor(ms);
  const frac = Math.round((ms - whole) * 1e6);
  return String(whole) + String(frac).padStart(6, '0');
}

/** Bytes of the request as received: request line + headers + body. */
export function requestSize(ctx: RequestLogView): number {
  let n = ctx.headerBytes ?? 0;
  const body = ctx.body;
  if (Buffer.isBuffer(body)) n += body.length;
  else if (ctx.bodyStream != null) n += ctx.bodyStream.received;
  return n;
}

/** The path + query sent upstream, or null when the request never went upstream. */
export function upstreamUri(ctx: RequestLogView): string | null {
  if (ctx.dispatched !== true || ctx.match == null) return null;
  const q = ctx.upstreamQuery ?? ctx.query;
  return q === '' ? ctx.match.upstreamPath : ctx.match.upstreamPath + '?' + q;
}

/** True when the upstream answered (Kong's source "upstream"/"service"), false for gateway-made answers. */
export function fromUpstream(ctx: RequestLogView, info: LogInfo): boolean {
  return info.upstreamLatencyMs >= 0 && ctx.upstreamHeaders != null;
}

/** Headers the client got (lower-case names), with `redact` values replaced. */
export function responseHeaders(ctx: RequestLogView, info: LogInfo, redact: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  const up = fromUpstream(ctx, info) ? ctx.upstreamHeaders! : null;
  const removed = ctx.removedResponseHeaders ?? null;
  if (up !== null) {
    for (let i = 0; i < up.length; i += 2) {
      const name = up[i]!.toString('latin1').toLowerCase();
      if (name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding') continue;
      if (removed !== null && removed.has(name)) continue;
      add(out, name, up[i + 1]!.toString('latin1'));
    }
  } else {
    out['content-type'] = 'application/json; charset=utf-8';
  }
  const extra = ctx.responseHeaders;
  if (extra != null) for (let i = 0; i < extra.length; i += 2) add(out, extra[i]!.toLowerCase(), extra[i + 1]!);
  for (const k of redact) if (out[k] !== undefined) out[k] = 'REDACTED';
  return out;
}

function add(out: Record<string, string>, name: string, value: string): void {
  const prev = out[name];
  out[name] = prev === undefined ? value : prev + ', ' + value;
}

/** The route's and service's labels (name, else id), as Kong's prometheus labels use them. */
export function routeLabel(route: Route): string {
  return route.name ?? route.id;
}
export function serviceLabel(service: Service | null): string {
  return service === null ? '' : service.name ?? service.id;
}
