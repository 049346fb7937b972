/**
 * A native Sluice plugin in TypeScript (plugin API version 1): stamps requests with a header
 * upstream and the response with how long the upstream took. Compile it to index.js beside this
 * file (`npx tsc --module nodenext --target es2022 index.ts`, or any bundler): Sluice loads
 * `header-stamp/index.js` from a --plugins-dir and names the plugin after the folder.
 *
 *   plugins: [{ name: header-stamp, config: { header: x-stamp, value: gateway } }]
 *
 * The types come from Sluice's public plugin API (src/plugins/api.ts); `import type` leaves
 * nothing behind in the compiled file.
 */
import type { PluginDefinition } from '../../../src/plugins/api.js';

interface StampConfig {
  header: string;
  value: string;
  /** An Upstream entity stamped requests go to instead of the service's host (null: the service's). */
  upstream: string | null;
}

const plugin: PluginDefinition = {
  apiVersion: 1,
  name: 'header-stamp',
  priority: 800,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      header: { type: 'string', pattern: '^[A-Za-z0-9-]+$', default: 'x-stamp' },
      value: { type: 'string', default: 'sluice' },
      upstream: { type: ['string', 'null'], default: null },
    },
  },
  create(instance) {
    // Runs once per configuration: the request path only calls the closures.
    const { header, value, upstream } = instance.config as unknown as StampConfig;
    return {
      access(req) {
        req.setUpstreamHeader(header, value);
        // Every context member always exists: no optional calls. An unknown name throws (500).
        if (upstream !== null) req.setUpstream(upstream);
      },
      log(req, info) {
        if (info.status >= 500) console.warn(`header-stamp: ${req.requestId} ended ${info.status}`);
      },
    };
  },
};

export default plugin;
