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
