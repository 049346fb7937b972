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

  it("defaults to 503 with Kong's default message", async () => {
    const r = await runPlugin(requestTermination, {});
    expect(r.response.status).toBe(503);
    expect(JSON.parse(r.response.body.toString()).message).toBe('Service unavailable');
  });

  it('a body without content_type is sent as JSON', async () => {
    const r = await runPlugin(requestTermination, { status_code: 200, body: '{"ok":true}' });
    expect(r.response.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('trigger: terminates only requests carrying the trigger header or query parameter', async () => {
    const conf = { status_code: 403, trigger: 'X-Stop' };
    expect((await runPlugin(requestTermination, conf, { path: '/a' }, { status: 200, body: 'upstream' })).response.body.toString()).toBe('upstream');
    expect((await runPlugin(requestTermination, conf, { headers: { 'x-stop': '1' } })).response.status).toBe(403);
    expect((await runPlugin(requestTermination, conf, { path: '/a?X-Stop' })).response.status).toBe(403);
  });

  it('echo: the answer describes the request and the matched route', async () => {
    const r = await runPlugin(requestTermination, { status_code: 200, echo: true }, { method: 'PUT', path: '/e?q=1', clientIp: '192.0.2.9', headers: { 'x-h': 'v' } });
    const body = JSON.parse(r.response.body.toString());
    expect(body).toMatchObject({
      request: { method: 'PUT', path: '/e', query: 'q=1', client_ip: '192.0.2.9', headers: { 'x-h': 'v' } },
      matched_route: { id: 'route-1' },
      matched_service: { id: 'service-1' },
    });
  });

  it('refuses a status code out of range', async () => {
    await expect(runPlugin(requestTermination, { status_code: 99 })).rejects.toThrow(/invalid config for request-termination: \/status_code/);
    await expect(runPlugin(requestTermination, { status_code: 600 })).rejects.toThrow(/invalid config for request-termination: \/status_code/);
  });
});
