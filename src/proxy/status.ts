import { STATUS_CODES } from 'node:http';

/** "200 OK"-style status lines for uWS writeStatus, precomputed for every code 100..999. */
const lines: string[] = new Array(1000);
for (let i = 100; i < 1000; i++) lines[i] = `${i} ${STATUS_CODES[i] ?? 'Unknown'}`;

export function statusLine(code: number): string {
  return lines[code] ?? `${code} Unknown`;
}
