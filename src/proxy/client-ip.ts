import type uWS from 'uWebSockets.js';

/**
 * The client's address as text. uWS hands out the binary address (4 bytes, or 16 for IPv6 and
 * IPv4-mapped peers of a dual-stack socket); formatting IPv4 here is several µs cheaper per
 * request than uWS's own text form. Other IPv6 addresses use uWS's text.
 */
export function clientIp(res: uWS.HttpResponse | uWS.WebSocket<unknown>): string {
  const b = new Uint8Array(res.getRemoteAddress());
  if (b.length === 4) return b[0] + '.' + b[1] + '.' + b[2] + '.' + b[3];
  if (b.length === 16 && b[10] === 0xff && b[11] === 0xff && isZero(b, 10)) return b[12] + '.' + b[13] + '.' + b[14] + '.' + b[15];
  return Buffer.from(res.getRemoteAddressAsText()).toString('latin1');
}

function isZero(b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[i] !== 0) return false;
  return true;
}
