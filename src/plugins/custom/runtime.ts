import type { Logger } from '../../observability/logger.js';

/**
 * What running custom plugins needs from the process it runs in: the logger (a worker's, with
 * its bindings) and the phase timeout. Set by the worker at start; defaults fit tests and
 * `sluice validate` (which runs no phase).
 */
export interface PluginRuntime {
  logger: Logger | null;
  /** A phase that does not settle within this many ms ends its request with 504 (SLUICE_PLUGIN_TIMEOUT_MS). */
  timeoutMs: number;
}

export const runtime: PluginRuntime = { logger: null, timeoutMs: 10_000 };

export function configureRuntime(r: Partial<PluginRuntime>): void {
  Object.assign(runtime, r);
}

/** Logs at `level` through the worker's logger (stderr JSON when there is none). */
export function pluginLog(level: 'debug' | 'info' | 'warn' | 'error' | 'fatal', fields: Record<string, unknown>, msg: string): void {
  const l = runtime.logger;
  if (l !== null) l[level](fields, msg);
  else if (level !== 'debug') process.stderr.write(JSON.stringify({ level, ...fields, msg }) + '\n');
}

/**
 * A phase that did not settle in time. One sweeper timer for every pending phase, rather than a
 * timer per request: the request path only adds to and deletes from a Set.
 */
export interface Pending {
  deadline: number;
  expire(): void;
}

const pending = new Set<Pending>();
let sweeper: NodeJS.Timeout | null = null;

export function watchPhase(p: Pending): void {
  pending.add(p);
  if (sweeper === null) {
    const every = Math.max(10, Math.min(1000, Math.floor(runtime.timeoutMs / 10)));
    sweeper = setInterval(sweep, every);
    sweeper.unref();
  }
}

export function unwatchPhase(p: Pending): void {
  pending.delete(p);
}

function sweep(): void {
  if (pending.size === 0) {
    clearInterval(sweeper!);
    sweeper = null;
    return;
  }
  const now = performance.now();
  for (const p of pending) {
    if (p.deadline <= now) {
      pending.delete(p);
      p.expire();
    }
  }
}

/** Header names: RFC 9110 tokens. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Values: no CR, LF or NUL (the bytes that split or truncate a header). */
const BAD_VALUE = /[\r\n\0]/;

/** Throws unless `name: value` can be sent as a header line. `fn` names the PDK function. */
export function checkHeader(fn: string, name: unknown, value: unknown): [string, string] {
  if (typeof name !== 'string' || !TOKEN.test(name)) throw new TypeError(`${fn}: invalid header name ${JSON.stringify(name)}`);
  const v = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
  if (v === null) throw new TypeError(`${fn}: header ${name} needs a string or number value`);
  if (BAD_VALUE.test(v)) throw new TypeError(`${fn}: header ${name} value contains CR, LF or NUL`);
  return [name, v];
}

/** Throws unless `s` has no CR, LF, NUL (paths, queries, methods). */
export function checkBytes(fn: string, what: string, s: unknown): string {
  if (typeof s !== 'string') throw new TypeError(`${fn}: ${what} must be a string`);
  if (/[\r\n\0]/.test(s)) throw new TypeError(`${fn}: ${what} contains CR, LF or NUL`);
  return s;
}
