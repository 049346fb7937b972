/** Issue 19 items 9 and 10: "did you mean", and bcrypt-looking passwords that are not hashes. */
import { describe, expect, it } from 'vitest';
import { closest } from '../../../src/config/suggest.js';
import { config, errors, y } from './helpers.js';

const HEAD = '_format_version: "3.0"';

describe('did you mean', () => {
  it('picks the closest candidate only when it is close', () => {
    expect(closest('read_timout', ['read_timeout', 'write_timeout', 'retries'])).toBe('read_timeout');
    expect(closest('key-auht', ['key-auth', 'basic-auth', 'jwt'])).toBe('key-auth');
    expect(closest('polcy', ['policy', 'minute'])).toBe('policy');
    expect(closest('colour', ['name', 'url', 'host'])).toBeUndefined();
    expect(closest('x', ['y'])).toBe('y');
    expect(closest('zzzz', ['name'])).toBeUndefined();
    expect(closest('a'.repeat(10_000), ['a'])).toBeUndefined();
  });

  it('suggests keys, plugin names, plugin config fields and references', () => {
    const e = errors(y(
      HEAD, // 1
      'services:', // 2
      '  - name: orders', // 3
      '    url: http://orders.internal', // 4
      '    read_timout: 5', // 5
      '    plugins:', // 6
      '      - name: key-auht', // 7
      '      - name: rate-limiting', // 8
      '        config: { minute: 5, polcy: local }', // 9
      'routes:', // 10
      '  - name: r', // 11
      '    service: order', // 12
      '    paths: [/r]', // 13
    ));
    expect(e).toEqual([
      '5:5 services[orders] has unknown key "read_timout"; did you mean read_timeout?',
      '7:15 plugin key-auht is not supported; did you mean key-auth?',
      '9:30 services[orders].plugins[rate-limiting].config has unknown key "polcy"; did you mean policy?',
      '12:14 routes[r].service refers to unknown service "order"; did you mean orders?',
    ]);
  });

  it('says nothing when nothing is close', () => {
    expect(errors(y(HEAD, 'services:', '  - name: a', '    url: http://a', '    colour: blue'))).toEqual(['5:5 services[a] has unknown key "colour"']);
  });
});

describe('bcrypt-looking basic-auth passwords', () => {
  const withPassword = (pw: string): string => y(HEAD, 'consumers:', '  - username: ann', '    basicauth_credentials:', `      - username: ann`, `        password: "${pw}"`);

  it('refuses the old README placeholder and other malformed hashes, without printing them', () => {
    for (const pw of ['$2b$10$...', '$2a$10$short', '$2y$99$KUkcEVpptm5xO3HXviKlPuCHGRDA2BysJ49uWgHmPoo4L1iAqgv5u', '$2b$10$KUkcEVpptm5xO3HXviKlPuCHGRDA2BysJ49uWgHmPoo4L1iAqgv5u!']) {
      const e = errors(withPassword(pw));
      expect(e, pw).toEqual([expect.stringMatching(/^6:19 consumers\[ann\]\.basicauth_credentials\[0\]\.password looks like a bcrypt hash \(\$2[aby]\$\) but is not a well-formed one/)]);
      expect(e[0]).not.toContain(pw);
    }
  });

  it('accepts well-formed hashes and ordinary plaintext', () => {
    for (const pw of ['$2b$10$KUkcEVpptm5xO3HXviKlPuCHGRDA2BysJ49uWgHmPoo4L1iAqgv5u', 'plain-text', '$1$not-bcrypt', '$2x$looks-different']) {
      expect(config(withPassword(pw)).basicauth_credentials[0]!.password).toBe(pw);
    }
  });
});

describe('error paths name entities', () => {
  it('services[orders].routes[order-by-id], an index where a name is missing or not unique', () => {
    const e = errors(y(
      HEAD, // 1
      'services:', // 2
      '  - name: orders', // 3
      '    url: http://orders.internal', // 4
      '    routes:', // 5
      '      - name: order-by-id', // 6
      '        paths: [orders]', // 7
      '      - paths: [nope]', // 8
      '  - name: twin', // 9
      '    url: http://a', // 10
      '    retries: -1', // 11
      '  - name: twin', // 12
      '    url: http://b', // 13
    ));
    expect(e).toEqual([
      expect.stringMatching(/^7:17 services\[orders\]\.routes\[order-by-id\]\.paths\[0\] /),
      expect.stringMatching(/^8:17 services\[orders\]\.routes\[1\]\.paths\[0\] /),
      expect.stringMatching(/^11:14 services\[1\]\.retries must be/),
      expect.stringMatching(/^12:11 services\[2\]\.name: duplicate service name "twin" \(already used by services\[1\]\)/),
    ]);
  });

  it('never names a credential by its key', () => {
    const e = errors(y(HEAD, 'consumers:', '  - username: a', '    keyauth_credentials: [{key: sekret}, {key: sekret}]'));
    expect(e.join('\n')).not.toContain('[sekret]');
  });
});
