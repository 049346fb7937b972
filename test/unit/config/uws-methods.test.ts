/**
 * Route methods a uWebSockets.js build closes the connection for (config/uws-methods.ts): a
 * warning at the method's FILE:LINE:COL naming the build, for each build whatever runtime runs
 * the suite (the build is a parameter).
 */
import { describe, expect, it } from 'vitest';
import { loadConfigString } from '../../../src/config/index.js';
import { UWS_2030_METHODS, uwsDeliversMethod } from '../../../src/config/uws-methods.js';
import { FILE, y } from './helpers.js';

const yaml = y(
  '_format_version: "3.0"',
  'services:',
  '  - name: s',
  '    url: http://127.0.0.1:9',
  '    routes:',
  '      - name: cache',
  '        paths: [/c]',
  '        methods: [PURGE, GET, propfind]',
  'routes:',
  '  - name: tunnel',
  '    service: s',
  '    paths: [/t]',
  '    methods:',
  '      - CONNECT',
  '      - TRACE',
);

function warningsOn(uws: string | null | undefined): string[] {
  const r = loadConfigString(yaml, FILE, { env: {}, uws });
  expect(r.ok).toBe(true);
  return r.warnings.map((w) => `${w.file}:${w.line}:${w.column} ${w.message}`);
}

const CONNECT = `${FILE}:14:9 routes[tunnel].methods[0] CONNECT: Sluice answers every CONNECT request with 405 (it opens no tunnels, as Kong's nginx), so no request matches this method`;
const TRACE = `${FILE}:15:9 routes[tunnel].methods[1] TRACE: Sluice answers every TRACE request with 405, as Kong's nginx does (cross-site tracing), so no request matches this method`;

describe('route methods the uWS build cannot serve', () => {
  it('uWS 20.30: a warning per method it closes the connection for, at the method', () => {
    const closes = (at: string, path: string, m: string) =>
      `${FILE}:${at} ${path} ${m}: uWebSockets.js 20.30.0 (this build) closes the connection for this method before Sluice sees the request, so such requests get no answer; run Node 22/24 on glibc >= 2.38 (uWS 20.57) to serve it (README "Known limitations")`;
    expect(warningsOn('20.30.0')).toEqual([
      closes('8:19', 'services[s].routes[cache].methods[0]', 'PURGE'),
      closes('8:31', 'services[s].routes[cache].methods[2]', 'PROPFIND'),
      CONNECT,
      TRACE,
    ]);
  });

  it('uWS 20.57: serves every method; only CONNECT and TRACE (refused by Sluice on every build) are warned about', () => {
    expect(warningsOn('20.57.0')).toEqual([CONNECT, TRACE]);
  });

  it('no build loads here: says what 20.30 would do', () => {
    const w = warningsOn(null);
    expect(w).toHaveLength(4);
    expect(w[0]).toBe(`${FILE}:8:19 services[s].routes[cache].methods[0] PURGE: uWebSockets.js 20.30 (Node 20 on glibc < 2.38) closes the connection for this method before Sluice sees the request, and no uWebSockets.js build loads here to tell which one will serve; uWS 20.57 (Node 22/24 on glibc >= 2.38) serves it`);
  });

  it('without a build to check (library use), only the CONNECT and TRACE warnings', () => {
    expect(warningsOn(undefined)).toEqual([CONNECT, TRACE]);
  });

  it('the measured method lists', () => {
    expect([...UWS_2030_METHODS].sort()).toEqual(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);
    for (const m of UWS_2030_METHODS) expect(uwsDeliversMethod('20.30.0', m)).toBe(true);
    for (const m of ['PURGE', 'LINK', 'PROPFIND', 'REPORT', 'MKCOL', 'SEARCH', 'QUERY']) {
      expect(uwsDeliversMethod('20.30.0', m)).toBe(false);
      expect(uwsDeliversMethod('20.57.0', m)).toBe(true);
    }
  });
});
