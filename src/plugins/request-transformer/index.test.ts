/** request-transformer through the plugin harness (src/plugins/harness.ts): no gateway, no socket. */
import { describe, expect, it } from 'vitest';
import { runPlugin } from '../harness.js';
import { requestTransformer } from './index.js';

describe('request-transformer (harness)', () => {
  it('adds, renames and removes upstream headers', async () => {
    const r = await runPlugin(
      requestTransformer,
      { add: { headers: ['x-added:$(headers.x_source)'] }, rename: { headers: ['x-old:x-new'] }, remove: { headers: ['x-gone'] } },
      { path: '/a?b=1', headers: { 'x-source': 'src', 'x-old': 'o', 'x-gone': 'g' } },
    );
    expect(r.answered).toBeNull();
    expect(r.upstream.headers).toMatchObject({ 'x-added': 'src', 'x-new': 'o' });
    expect(r.upstream.headers['x-old']).toBeUndefined();
    expect(r.upstream.headers['x-gone']).toBeUndefined();
  });

  it('rejects an invalid config as the gateway would', async () => {
    await expect(runPlugin(requestTransformer, { add: { headers: ['no-colon'] } })).rejects.toThrow(/invalid config/);
  });
});
