/** Kong's fixed windows, in UTC: a window starts on the second, minute, hour, day, month or year. */
export const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
export type Period = (typeof PERIODS)[number];

const FIXED_MS: Record<Period, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, month: 0, year: 0 };

/** Start and end (ms since the Unix epoch) of the window of `period` that contains `now`. */
export function windowBounds(period: number, now: number, out: [number, number]): void {
  const p = PERIODS[period]!;
  const len = FIXED_MS[p];
  if (len > 0) {
    const start = now - (now % len);
    out[0] = start;
    out[1] = start + len;
    return;
  }
  const d = new Date(now);
  const y = d.getUTCFullYear();
  if (p === 'month') {
    const m = d.getUTCMonth();
    out[0] = Date.UTC(y, m, 1);
    out[1] = Date.UTC(y, m + 1, 1);
  } else {
    out[0] = Date.UTC(y, 0, 1);
    out[1] = Date.UTC(y + 1, 0, 1);
  }
}

/**
 * The bounds of every period's window at one second. Every window starts and ends on a whole
 * second, so they are the same for every millisecond of a second: the request path calls
 * `update(now)` (one subtraction and compare while the second lasts) and reads the arrays, and
 * the Date arithmetic of months and years runs once a second instead of once per request.
 */
export class WindowClock {
  /** Start (ms) of the second the bounds are for; NaN before the first update. */
  second = NaN;
  /** Per period index (PERIODS): window start and end, ms since the Unix epoch. */
  readonly starts: number[] = [0, 0, 0, 0, 0, 0];
  readonly ends: number[] = [0, 0, 0, 0, 0, 0];
  private readonly out: [number, number] = [0, 0];

  /** Moves to the second of `now` (ms); true when it changed (the bounds were recomputed). */
  update(now: number): boolean {
    const d = now - this.second;
    if (d >= 0 && d < 1000) return false;
    const second = now - (((now % 1000) + 1000) % 1000);
    this.second = second;
    for (let p = 0; p < PERIODS.length; p++) {
      windowBounds(p, second, this.out);
      this.starts[p] = this.out[0];
      this.ends[p] = this.out[1];
    }
    return true;
  }
}
