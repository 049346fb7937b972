/** bot-detection through the plugin harness (src/plugins/harness.ts). */
import { describe, expect, it } from 'vitest';
import { runPlugin } from '../harness.js';
import { botDetection } from './index.js';

const ua = (agent: string) => ({ headers: { 'user-agent': agent } });
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

describe('bot-detection (harness)', () => {
  it('lets a browser through and refuses a known bot from Kong default list with 403 Forbidden', async () => {
    expect((await runPlugin(botDetection, {}, ua(BROWSER))).answered).toBeNull();
    const r = await runPlugin(botDetection, {}, ua('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'));
    expect(r.response.status).toBe(403);
    expect(JSON.parse(r.response.body.toString()).message).toBe('Forbidden');
    expect((await runPlugin(botDetection, {}, ua('Python-urllib/3.11'))).response.status).toBe(403);
  });

  it('a request without a User-Agent passes', async () => {
    expect((await runPlugin(botDetection, {}, {})).answered).toBeNull();
  });

  it('deny adds patterns; allow lets a listed bot through', async () => {
    expect((await runPlugin(botDetection, { deny: ['^curl/'] }, ua('curl/8.5.0'))).response.status).toBe(403);
    expect((await runPlugin(botDetection, {}, ua('curl/8.5.0'))).answered).toBeNull();
    expect((await runPlugin(botDetection, { allow: ['Googlebot'] }, ua('Googlebot/2.1'))).answered).toBeNull();
  });

  it('refuses an invalid regex and a catastrophically backtracking one', async () => {
    await expect(runPlugin(botDetection, { deny: ['[oops'] })).rejects.toThrow(/invalid config for bot-detection: deny\.0 .*not a valid regular expression/);
    await expect(runPlugin(botDetection, { allow: ['(x+)+y'] })).rejects.toThrow(/invalid config for bot-detection: allow\.0 .*unsafe/);
  });
});
