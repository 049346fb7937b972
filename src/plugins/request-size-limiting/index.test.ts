/** request-size-limiting through the plugin harness (src/plugins/harness.ts). */
import { describe, expect, it } from 'vitest';
import { runPlugin } from '../harness.js';
import { requestSizeLimiting } from './index.js';

const withLength = (n: number, extra: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-length': String(n), ...extra } });

describe('request-size-limiting (harness)', () => {
  it('passes a declared Content-Length up to the limit and refuses one over it with 413', async () => {
    const conf = { allowed_payload_size: 10, size_unit: 'kilobytes' };
    expect((await runPlugin(requestSizeLimiting, conf, withLength(10 * 1024))).answered).toBeNull();
    const r = await runPlugin(requestSizeLimiting, conf, withLength(10 * 1024 + 1));
    expect(r.response.status).toBe(413);
    expect(JSON.parse(r.response.body.toString()).message).toBe('Request size limit exceeded');
  });

  it('defaults to 128 megabytes', async () => {
    expect((await runPlugin(requestSizeLimiting, {}, withLength(128 * 2 ** 20))).answered).toBeNull();
    expect((await runPlugin(requestSizeLimiting, {}, withLength(128 * 2 ** 20 + 1))).response.status).toBe(413);
  });

  it('answers 417 when the client waits for 100 Continue (as Kong)', async () => {
    const r = await runPlugin(requestSizeLimiting, { allowed_payload_size: 5, size_unit: 'bytes' }, withLength(6, { expect: '100-continue' }));
    expect(r.response.status).toBe(417);
  });

  it('a chunked body: the limit is handed to the proxy, or 411 with require_content_length', async () => {
    const chunked = { method: 'POST', headers: { 'transfer-encoding': 'chunked' } };
    const r = await runPlugin(requestSizeLimiting, { allowed_payload_size: 2, size_unit: 'kilobytes' }, chunked);
    expect(r.answered).toBeNull();
    expect(r.requestBodyLimit).toBe(2048);
    const strict = await runPlugin(requestSizeLimiting, { require_content_length: true }, chunked);
    expect(strict.response.status).toBe(411);
    expect(JSON.parse(strict.response.body.toString()).message).toBe('A valid Content-Length header is required');
  });

  it('a request without a body is not limited', async () => {
    const r = await runPlugin(requestSizeLimiting, { allowed_payload_size: 0, require_content_length: true }, {});
    expect(r.answered).toBeNull();
    expect(r.requestBodyLimit).toBeNull();
  });

  it('refuses an unknown unit and a negative size', async () => {
    await expect(runPlugin(requestSizeLimiting, { size_unit: 'gigabytes' })).rejects.toThrow(/invalid config for request-size-limiting: \/size_unit/);
    await expect(runPlugin(requestSizeLimiting, { allowed_payload_size: -1 })).rejects.toThrow(/invalid config for request-size-limiting: \/allowed_payload_size/);
  });
});
