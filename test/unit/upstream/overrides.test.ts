/** A snapshot's upstream overrides (setUpstream / setTarget): built once, cached, bounded, sharing configured pools. */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigString } from '../../../src/config/index.js';
import { compile } from '../../../src/snapshot/compile.js';
import { MAX_DIRECT_TARGETS } from '../../../src/snapshot/overrides.js';
import { PoolRegistry } from '../../../src/upstream/pool.js';

const pools = new PoolRegistry();
afterAll(() => pools.closeAll());

function snapshot() {
  const r = loadConfigString(
    `_format_version: "3.0"
upstreams:
  - name: blue
    algorithm: least-connections
    targets:
      - target: 127.0.0.1:9101
      - target: 127.0.0.1:9102
services:
  - name: api
    url: http://127.0.0.1:9100
    routes:
      - name: r
        paths: [/r]
`,
    'gw.yaml',
    { env: {} },
  );
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return compile(r.config, { pools });
}

describe('UpstreamOverrides', () => {
  const s = snapshot();
  const service = [...s.services.values()][0]!;

  it('an upstream by name: its targets, built once per service; unknown names are null', () => {
    const o = s.overrides.upstream('blue', service)!;
    expect(o.balancer.peers.map((p) => p.port)).toEqual([9101, 9102]);
    expect(o.upstream?.name).toBe('blue');
    expect(o.retries).toBe(service.retries);
    expect(s.overrides.upstream('blue', service)).toBe(o);
    expect(s.overrides.upstream('nope', service)).toBeNull();
  });

  it('a direct target: one peer always picked, cached per host:port, reusing a configured origin\'s pool', () => {
    const t = s.overrides.target('127.0.0.1', 9100, service);
    const peer = t.balancer.pick(null, null)!;
    expect(t.balancer.pick(null, peer)).toBe(peer); // retries go to the same target
    expect(peer.hostHeader).toBe('127.0.0.1');
    expect(peer.pool).toBe(service.balancer.peers[0]!.pool);
    expect(s.overrides.target('127.0.0.1', 9100, service)).toBe(t);
  });

  it('keeps at most MAX_DIRECT_TARGETS targets', () => {
    for (let i = 0; i < MAX_DIRECT_TARGETS + 40; i++) s.overrides.target('127.0.0.2', 20000 + i, service);
    expect(s.overrides.targetCount).toBe(MAX_DIRECT_TARGETS);
  });
});
