/** `methods`: exact, upper case. The router also prefilters with a method bitmask (compile.ts). */
import { constraint } from './types.js';

export const methods = constraint<Set<string>>({
  name: 'methods',
  weighs: true,
  compile: (route) => (route.methods.length > 0 ? new Set(route.methods) : null),
  test: (set, input) => set.has(input.method),
  why: (_set, req, route) => `method ${req.input.method} not in [${route.methods.join(', ')}]`,
});
