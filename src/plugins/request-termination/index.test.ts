/** request-termination through the plugin harness (src/plugins/harness.ts). */
import { describe, expect, it } from 'vitest';
import { runPlugin } from '../harness.js';
import { requestTermination } from './index.js';

describe('request-termination (harness)', () => {
  it('answers with the configured status and body, never reaching the upstream', async () => {
    const r = await runPlugin(requestTermination, { status_code: 418, body: 'tea', content_type: 'text/plain' });
    expect(r.answered).not.toBeNull();
    expect(r.response.status).toBe(418);
    expect(r.response.body.toString()).toBe('tea');
    expect(r.response.headers['content-type']).toBe('text/plain');
  });

  it('a JSON message by default', async () => {
    const r = await runPlugin(requestTermination, { status_code: 503, message: 'down' });
    expect(r.response.status).toBe(503);
    expect(JSON.parse(r.response.body.toString())).toMatchObject({ message: 'down' });
  });
});
