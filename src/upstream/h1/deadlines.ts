/** Deadlines of the h1 client: one interval for every connection of every pool, no timer per request. */
import { performance } from 'node:perf_hooks';
import type { H1Conn } from './connection.js';

// ---- deadlines: one interval for every connection of every pool -----------------------------

export const enum Deadline {
  NONE = 0,
  CONNECT = 1,
  HEADERS = 2,
  BODY = 3,
  IDLE = 4,
}

export const tracked = new Set<H1Conn>();
let ticker: NodeJS.Timeout | null = null;
let tickMs = 1000;

function tick(): void {
  const now = performance.now();
  for (const c of tracked) if (c.deadline !== 0 && c.deadline <= now) c.onDeadline();
}

function startTicker(): void {
  ticker = setInterval(tick, tickMs);
  ticker.unref();
}

/** A timeout of `ms` is in use: the interval ticks often enough to honour it within ~10%. */
export function resolution(ms: number): void {
  const r = Math.min(1000, Math.max(10, Math.floor(ms / 10)));
  if (r >= tickMs) return;
  tickMs = r;
  if (ticker !== null) {
    clearInterval(ticker);
    startTicker();
  }
}

export function track(c: H1Conn): void {
  tracked.add(c);
  if (ticker === null) startTicker();
}

export function untrack(c: H1Conn): void {
  tracked.delete(c);
  if (tracked.size === 0 && ticker !== null) {
    clearInterval(ticker);
    ticker = null;
  }
}
