/** `snis`: only checked on TLS requests (`sni !== null`), as Kong (`net.protocol != "https" ||`). */
import { constraint } from './types.js';

export const snis = constraint<Set<string>>({
  name: 'snis',
  weighs: true,
  compile: (route) =>
    route.snis.length > 0 ? new Set(route.snis.map((s) => (s.length > 1 && s.endsWith('.') ? s.slice(0, -1) : s))) : null,
  test: (set, input) => input.sni === null || set.has(input.sni),
  why: (_set, req, route) => `sni ${req.input.sni} not in [${route.snis.join(', ')}]`,
});
