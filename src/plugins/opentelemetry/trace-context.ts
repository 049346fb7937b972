import { randomFillSync } from 'node:crypto';

/**
 * Trace context headers: W3C Trace Context (`traceparent`, `tracestate`) and Zipkin B3 (the
 * multi-header `X-B3-*` form and the single `b3` header). Ids are lower-case hex strings.
 */
export type Format = 'w3c' | 'b3' | 'b3-single';

export interface Incoming {
  format: Format;
  traceId: string;
  /** The caller's span (our root span's parent). null when the header only carried a sampling decision. */
  spanId: string | null;
  /** The caller's sampling decision, or null when it made none. */
  sampled: boolean | null;
  tracestate: string | null;
}

const HEX = /^[0-9a-f]+$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);

function hexId(v: string | undefined, len: number): string | null {
  if (v === undefined) return null;
  const s = v.trim().toLowerCase();
  if (s.length !== len || !HEX.test(s)) return null;
  return s === '0'.repeat(len) ? null : s;
}

/** B3 trace ids may be 64-bit: left-pad them to 128 bits (as W3C needs). */
function b3TraceId(v: string | undefined): string | null {
  if (v === undefined) return null;
  const s = v.trim().toLowerCase();
  if (s.length === 16) return hexId(s.padStart(32, '0'), 32);
  return hexId(s, 32);
}

export function parseW3c(traceparent: string | undefined, tracestate: string | undefined): Incoming | null {
  if (traceparent === undefined) return null;
  const parts = traceparent.trim().split('-');
  if (parts.length < 4) return null;
  const [version, t, s, flags] = parts as [string, string, string, string];
  if (version.length !== 2 || !HEX.test(version) || version === 'ff') return null;
  if (version === '00' && parts.length !== 4) return null;
  const traceId = hexId(t, 32);
  const spanId = hexId(s, 16);
  if (traceId === null || spanId === null || flags.length !== 2 || !HEX.test(flags)) return null;
  return { format: 'w3c', traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1, tracestate: tracestate ?? null };
}

function b3Sampled(v: string | undefined, flags?: string): boolean | null {
  if (flags === '1' || v === 'd') return true;
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  return null;
}

export function parseB3(h: Readonly<Record<string, string>>): Incoming | null {
  const single = h['b3'];
  if (single !== undefined) {
    const parts = single.trim().split('-');
    if (parts.length === 1) return null; // a bare sampling decision: no context to continue
    const traceId = b3TraceId(parts[0]);
    const spanId = hexId(parts[1], 16);
    if (traceId === null || spanId === null) return null;
    return { format: 'b3-single', traceId, spanId, sampled: b3Sampled(parts[2]), tracestate: null };
  }
  const traceId = b3TraceId(h['x-b3-traceid']);
  const spanId = hexId(h['x-b3-spanid'], 16);
  if (traceId === null || spanId === null) return null;
  return { format: 'b3', traceId, spanId, sampled: b3Sampled(h['x-b3-sampled'], h['x-b3-flags']), tracestate: null };
}

/** W3C first, then B3. */
export function extract(h: Readonly<Record<string, string>>): Incoming | null {
  return parseW3c(h['traceparent'], h['tracestate']) ?? parseB3(h);
}

// ---- ids from a pooled random buffer (one getrandom per 4 KiB, not per request) -------------
const pool = Buffer.allocUnsafe(4096);
let poolOffset = pool.length;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const s = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return s;
}

export function newTraceId(): string {
  const id = randomHex(16);
  return id === ZERO32 ? newTraceId() : id;
}
export function newSpanId(): string {
  const id = randomHex(8);
  return id === ZERO16 ? newSpanId() : id;
}

/** The headers that carry (traceId, spanId, sampled) to the upstream in `format`. */
export function inject(format: Format, traceId: string, spanId: string, parentSpanId: string | null, sampled: boolean, tracestate: string | null, set: (name: string, value: string) => void): void {
  switch (format) {
    case 'b3':
      set('x-b3-traceid', traceId);
      set('x-b3-spanid', spanId);
      if (parentSpanId !== null) set('x-b3-parentspanid', parentSpanId);
      set('x-b3-sampled', sampled ? '1' : '0');
      return;
    case 'b3-single':
      set('b3', `${traceId}-${spanId}-${sampled ? '1' : '0'}${parentSpanId !== null ? '-' + parentSpanId : ''}`);
      return;
    default:
      set('traceparent', `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`);
      if (tracestate !== null) set('tracestate', tracestate);
  }
}
