/** cors through the plugin harness (src/plugins/harness.ts). */
import { describe, expect, it } from 'vitest';
import { runPlugin } from '../harness.js';
import { cors } from './index.js';

const preflight = (origin: string, extra: Record<string, string> = {}) => ({
  method: 'OPTIONS',
  path: '/api',
  headers: { origin, 'access-control-request-method': 'PUT', ...extra },
});

describe('cors (harness)', () => {
  it('answers a preflight itself with 200, the allowed origin, methods, headers and max age', async () => {
    const r = await runPlugin(
      cors,
      { origins: ['https://app.example.com'], methods: ['GET', 'PUT'], headers: ['x-a', 'x-b'], max_age: 600 },
      preflight('https://app.example.com'),
    );
    expect(r.answered).not.toBeNull();
    expect(r.response.status).toBe(200);
    expect(r.response.body.length).toBe(0);
    expect(r.response.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-methods': 'GET,PUT',
      'access-control-allow-headers': 'x-a,x-b',
      'access-control-max-age': '600',
      vary: 'Origin',
    });
  });

  it('echoes Access-Control-Request-Headers when no headers are configured, and allows every method by default', async () => {
    const r = await runPlugin(cors, {}, preflight('https://x.example', { 'access-control-request-headers': 'x-token' }));
    expect(r.response.headers['access-control-allow-headers']).toBe('x-token');
    expect(r.response.headers['access-control-allow-methods']).toBe('GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT');
    expect(r.response.headers['access-control-allow-origin']).toBe('*');
  });

  it('a preflight from an origin not listed gets no Access-Control-Allow-Origin', async () => {
    const r = await runPlugin(cors, { origins: ['https://a.example', 'https://b.example'] }, preflight('https://evil.example'));
    expect(r.response.status).toBe(200);
    expect(r.response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('preflight_continue lets the preflight through to the upstream', async () => {
    const r = await runPlugin(cors, { preflight_continue: true }, preflight('https://x.example'), { status: 204 });
    expect(r.answered).toBeNull();
    expect(r.response.status).toBe(204);
  });

  it('on a proxied response, echoes a matching origin (normalized, default port dropped) with Vary: Origin, replacing the upstream one', async () => {
    const r = await runPlugin(
      cors,
      { origins: ['https://a.example', 'https://b.example'], exposed_headers: ['x-total'] },
      { path: '/', headers: { origin: 'https://b.example:443' } },
      { headers: { 'access-control-allow-origin': 'https://upstream.example', 'content-type': 'text/plain' }, body: 'ok' },
    );
    expect(r.response.headers['access-control-allow-origin']).toBe('https://b.example');
    expect(r.response.headers['access-control-expose-headers']).toBe('x-total');
    expect(r.response.headers.vary).toBe('Origin');
    expect(r.response.body.toString()).toBe('ok');
  });

  it('matches origins by regex (Kong: anchored, host-only when the entry has no scheme)', async () => {
    const conf = { origins: ['.*\\.example\\.org'] };
    const ok = await runPlugin(cors, conf, { headers: { origin: 'https://api.example.org' } });
    expect(ok.response.headers['access-control-allow-origin']).toBe('https://api.example.org');
    const no = await runPlugin(cors, conf, { headers: { origin: 'https://example.org.evil.com' } });
    expect(no.response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('credentials with a wildcard echoes the request origin instead of *', async () => {
    const r = await runPlugin(cors, { credentials: true }, { headers: { origin: 'https://c.example' } });
    expect(r.response.headers['access-control-allow-origin']).toBe('https://c.example');
    expect(r.response.headers['access-control-allow-credentials']).toBe('true');
  });

  it('allow_origin_absent false adds nothing to a request without Origin', async () => {
    const absent = await runPlugin(cors, { allow_origin_absent: false }, {});
    expect(absent.response.headers['access-control-allow-origin']).toBeUndefined();
    const present = await runPlugin(cors, {}, {});
    expect(present.response.headers['access-control-allow-origin']).toBe('*');
  });

  it('refuses an invalid or catastrophically backtracking origin regex', async () => {
    await expect(runPlugin(cors, { origins: ['(unclosed'] })).rejects.toThrow(/invalid config for cors: origins\.0 .*not a valid regular expression/);
    await expect(runPlugin(cors, { origins: ['(a+)+b'] })).rejects.toThrow(/invalid config for cors: origins\.0 .*unsafe/);
    await expect(runPlugin(cors, { max_age: 'long' })).rejects.toThrow(/invalid config for cors: \/max_age/);
  });
});
