/** Route fields the router refuses at load (SPEC §3), and route regex inline flags. */
import { describe, expect, it } from 'vitest';
import { config, errors, y } from '../config/helpers.js';
import { createRouter } from '../../../src/router/index.js';

const V = '_format_version: "3.0"';

describe('sources / destinations on http(s) routes', () => {
  it('are refused with FILE:LINE:COL and what to do instead (Kong refuses them too)', () => {
    const e = errors(y(V, 'routes:', '  - paths: [/a]', '    sources: [{ip: 10.0.0.1}]', '    destinations: [{port: 80}]'));
    expect(e).toHaveLength(2);
    expect(e[0]).toMatch(/^4:14 routes\[0\]\.sources: sources is a tcp\/tls stream-route field; Kong refuses it on http\(s\) routes.*ip-restriction/);
    expect(e[1]).toMatch(/^5:19 routes\[0\]\.destinations: destinations is a tcp\/tls stream-route field/);
  });

  it('empty lists (what Kong exports) are fine', () => {
    expect(errors(y(V, 'routes:', '  - paths: [/a]', '    sources: []', '    destinations: []'))).toEqual([]);
  });
});

describe('regex paths with a leading (?i)', () => {
  it('load, and match case-insensitively', () => {
    const c = config(y(V, 'services:', '  - name: s', '    url: http://u', '    routes:', "      - {name: r, paths: ['~(?i)/foo/(?<id>\\d+)'], strip_path: false}"));
    const router = createRouter(c.routes, new Map(c.services.map((s) => [s.id, s])));
    const req = (path: string) => ({ method: 'GET', host: '', port: 8000, path, headers: {}, sni: null, upgrade: false });
    expect(router.match(req('/FOO/12'))?.params).toEqual({ id: '12' });
    expect(router.match(req('/foo/12'))?.route.name).toBe('r');
    expect(router.match(req('/bar/12'))).toBeNull();
  });

  it('other inline flags are refused with what to write instead', () => {
    const e = errors(y(V, 'routes:', "  - paths: ['~/foo(?i)bar']"));
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(/inline flags "\(\?i\)" are not supported in regex paths: write \(\?i\) at the very start/);
  });
});
