import type uWS from '../uws/index.js';

// The last IPv4 address seen and its text: most requests come from a few addresses (a load
// balancer, a client's keep-alive connection), so the text is usually reused as is.
let lastV4 = -1;
let lastV4Text = '';

/**
 * The client's address as text. uWS hands out the binary address (4 bytes, or 16 for IPv6 and
 * IPv4-mapped peers of a dual-stack socket); formatting IPv4 here is several µs cheaper per
 * request than uWS's own text form. Other IPv6 addresses use uWS's text.
 */
export function clientIp(res: uWS.HttpResponse | uWS.WebSocket<unknown>): string {
  const b = new Uint8Array(res.getRemoteAddress());
  if (b.length === 4) return v4(b, 0);
  if (b.length === 16 && b[10] === 0xff && b[11] === 0xff && isZero(b, 10)) return v4(b, 12);
  return Buffer.from(res.getRemoteAddressAsText()).toString('latin1');
}

function v4(b: Uint8Array, i: number): string {
  const n = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  if (n === lastV4) return lastV4Text;
  lastV4 = n;
  lastV4Text = b[i] + '.' + b[i + 1] + '.' + b[i + 2] + '.' + b[i + 3];
  return lastV4Text;
}

function isZero(b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[i] !== 0) return false;
  return true;
}
