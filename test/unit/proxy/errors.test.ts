/**
 * Gateway error bodies carry the request's one id (SPEC §4): the gateway's own ids as they are, a
 * correlation id the client sent escaped as JSON; and correlation-id runs before every bundled
 * plugin that can answer (Kong's priority 100001), so that id exists when one of them does.
 */
import { describe, expect, it } from 'vitest';
import { errorBody, errorBodyFast } from '../../../src/proxy/errors.js';
import { BUNDLED } from '../../../src/plugins/catalogue.js';
import { runPlugin } from '../../../src/plugins/harness.js';

describe('error bodies', () => {
  const ids = ['646038d70100000007', '5790799d-1c2e-4c4e-9d6b-2f0e8a1b3c4d#6', 'a"b\\c', 'café-😀', 'tab\there', '\u2028'];
  for (const id of ids) {
    it(`request_id ${JSON.stringify(id)} comes back intact`, () => {
      for (const body of [errorBody('Unauthorized', id), errorBodyFast('Unauthorized', id), errorBodyFast('Unauthorized', id)]) {
        expect(JSON.parse(body)).toEqual({ message: 'Unauthorized', request_id: id });
      }
    });
  }
  it('a plain id is written without JSON.stringify (same bytes)', () => {
    expect(errorBodyFast('x', 'ab01')).toBe('{"message":"x","request_id":"ab01"}');
  });
});

describe('correlation-id', () => {
  it("runs before every other bundled plugin's access phase (Kong 3: 100001)", () => {
    const cid = BUNDLED.find((p) => p.name === 'correlation-id')!;
    expect(cid.priority).toBe(100001);
    for (const p of BUNDLED) if (p !== cid) expect(p.priority, p.name).toBeLessThan(cid.priority);
  });

  it("makes its id the request's id: generated, or the client's", async () => {
    const gen = await runPlugin(BUNDLED.find((p) => p.name === 'correlation-id')!, { echo_downstream: true }, { path: '/' });
    const sent = gen.upstream.headers['x-request-id']!;
    expect(sent).toMatch(/#\d+$/);
    expect(gen.response.headers['x-request-id']).toBe(sent);
    const kept = await runPlugin(BUNDLED.find((p) => p.name === 'correlation-id')!, { echo_downstream: true }, { path: '/', headers: { 'x-request-id': 'mine' } });
    expect(kept.response.headers['x-request-id']).toBe('mine');
  });
});
