/** The harness records where a plugin sent the request (setUpstream / setTarget, and the Kong PDK's set_upstream / set_target). */
import { describe, expect, it } from 'vitest';
import { kongPlugin, runPlugin } from '../../../src/plugins/harness.js';
import type { PluginDefinition } from '../../../src/plugins/api.js';

const native: PluginDefinition = {
  apiVersion: 1,
  name: 'pin',
  priority: 1000,
  schema: { type: 'object', properties: {} },
  create: () => ({
    access(req) {
      const to = req.header('x-to');
      if (to === 'blue') req.setUpstream('blue');
      else if (to !== undefined) req.setTarget('10.0.0.7', Number(to));
    },
  }),
};

class Route {
  async access(kong: { service: { set_upstream(n: string): Promise<unknown>; set_target(h: string, p: number): Promise<unknown> }; request: { get_header(n: string): Promise<string | undefined> } }): Promise<void> {
    const to = await kong.request.get_header('x-to');
    if (to === 'target') await kong.service.set_target('backend.internal', 8443);
    else if (to !== undefined) await kong.service.set_upstream(to);
  }
}
const kong = kongPlugin('route', { Plugin: Route as never, Schema: [], Version: '1.0.0', Priority: 1000 });

describe('harness: upstream.target', () => {
  it('is null without a call, and records setUpstream / setTarget', async () => {
    expect((await runPlugin(native, {}, { path: '/' })).upstream.target).toBeNull();
    expect((await runPlugin(native, {}, { headers: { 'x-to': 'blue' } })).upstream.target).toEqual({ upstream: 'blue' });
    expect((await runPlugin(native, {}, { headers: { 'x-to': '9000' } })).upstream.target).toEqual({ host: '10.0.0.7', port: 9000 });
  });

  it("records the Kong PDK's set_upstream / set_target; an upstream not in `upstreams` is the PDK's 500", async () => {
    expect((await runPlugin(kong, {}, { headers: { 'x-to': 'target' } })).upstream.target).toEqual({ host: 'backend.internal', port: 8443 });
    expect((await runPlugin(kong, {}, { headers: { 'x-to': 'green' }, upstreams: ['green'] })).upstream.target).toEqual({ upstream: 'green' });
    const missing = await runPlugin(kong, {}, { headers: { 'x-to': 'nope' }, upstreams: ['green'] });
    expect(missing.answered?.status).toBe(500);
    expect(missing.upstream.target).toBeNull();
  });
});
