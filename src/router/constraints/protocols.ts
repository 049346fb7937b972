/** `protocols`: a route whose protocols are only ws/wss matches only WebSocket upgrades. */
import { constraint } from './types.js';

export const protocols = constraint<true>({
  name: 'protocols',
  weighs: false,
  compile: (route) =>
    route.protocols.length > 0 && !route.protocols.includes('http') && !route.protocols.includes('https') ? true : null,
  test: (_s, input) => input.upgrade,
  why: (_s, _req, route) => `route accepts only WebSocket upgrades (protocols [${route.protocols.join(', ')}])`,
});
