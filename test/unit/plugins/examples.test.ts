/** The plugins in examples/plugins/ work as their comments say (through the plugin harness). */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { kongPlugin, runPlugin } from '../../../src/plugins/harness.js';
import stamp from '../../../examples/plugins/header-stamp/index.js';

const require = createRequire(import.meta.url);

describe('examples/plugins', () => {
  it('js-greeting (Kong format) greets, and refuses a caller without User-Agent', async () => {
    const def = kongPlugin('js-greeting', require('../../../examples/plugins/js-greeting.js'));
    const ok = await runPlugin(def, {}, { headers: { host: 'gw.example:8000', 'user-agent': 'curl/8' } });
    expect(ok.response.headers['x-greeting']).toBe('Hello from gw.example');
    expect(ok.upstream.headers['x-greeted-agent']).toBe('curl/8');
    const refused = await runPlugin(def, { greeting: 'Hi' }, { headers: { host: 'h' } });
    expect(refused.response.status).toBe(400);
    expect(JSON.parse(refused.response.body.toString())).toEqual({ message: 'say who you are (User-Agent)' });
  });

  it('header-stamp (native TypeScript) sets the upstream header', async () => {
    const r = await runPlugin(stamp, { value: 'v' });
    expect(r.upstream.headers['x-stamp']).toBe('v');
  });

  it('header-stamp sends stamped requests to its `upstream` (PluginContext.setUpstream)', async () => {
    expect((await runPlugin(stamp, {})).upstream.target).toBeNull();
    const r = await runPlugin(stamp, { upstream: 'canary' }, { upstreams: ['canary'] });
    expect(r.upstream.target).toEqual({ upstream: 'canary' });
  });
});
