import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/index.js';
import { envName } from '../../../src/config/secrets.js';
import { config, errors, y } from './helpers.js';

const withKey = (key: string): string =>
  y('_format_version: "3.0"', 'consumers:', '  - username: alice', '    keyauth_credentials:', `      - key: ${key}`);

describe('secrets: vault references', () => {
  it.each([
    ['my-key', 'MY_KEY'],
    ['OPENAI_API_KEY', 'OPENAI_API_KEY'],
    ['a-b-c', 'A_B_C'],
  ])('{vault://env/%s} reads %s (Kong convention)', (ref, name) => {
    expect(envName(ref)).toBe(name);
    const c = config(withKey(`"{vault://env/${ref}}"`), { [name]: 's3cret' });
    expect(c.keyauth_credentials[0]!.key).toBe('s3cret');
  });

  it('an unset variable is an error at the value, naming the reference', () => {
    expect(errors(withKey('"{vault://env/my-key}"'))).toEqual([
      '5:14 cannot resolve {vault://env/my-key}: environment variable MY_KEY is not set',
    ]);
  });

  it('an unquoted reference says to quote it', () => {
    expect(errors(withKey('{vault://env/my-key}'), { MY_KEY: 'x' })).toEqual([
      '5:14 unquoted vault reference {vault://env/my-key}: YAML reads it as a map; quote it: "{vault://env/my-key}"',
    ]);
  });

  it('an unsupported vault backend is an error', () => {
    expect(errors(withKey('"{vault://aws/thing}"'))).toEqual([
      '5:14 cannot resolve {vault://aws/thing}: unsupported vault "aws" (Sluice supports env and file)',
    ]);
  });

  it('{vault://file/PATH} reads the file relative to the config, trimmed, and records it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-secrets-'));
    writeFileSync(join(dir, 'key.txt'), '  from-a-file \n');
    writeFileSync(join(dir, 'gw.yaml'), withKey('"{vault://file/key.txt}"'));
    const r = loadConfigFile(join(dir, 'gw.yaml'), { env: {} });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.config.keyauth_credentials[0]!.key).toBe('from-a-file');
    expect(r.config.referenced_files).toEqual([join(dir, 'key.txt')]);
  });

  it('a missing file is an error at the value, and is still watched', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-secrets-'));
    writeFileSync(join(dir, 'gw.yaml'), withKey('"{vault://file/nope.txt}"'));
    const r = loadConfigFile(join(dir, 'gw.yaml'), { env: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => `${e.line}:${e.column} ${e.message}`)).toEqual([
      `5:14 cannot resolve {vault://file/nope.txt}: cannot read ${join(dir, 'nope.txt')} (ENOENT)`,
    ]);
  });

  it('a vault-resolved value anywhere is a secret in the normalized config', () => {
    const c = config(y('_format_version: "3.0"', 'services:', '  - name: a', '    host: "{vault://env/UP_HOST}"'), { UP_HOST: 'internal.example' });
    expect(c.services[0]!.host).toBe('internal.example');
    expect(c.secrets).toContainEqual(['services', 0, 'host']);
  });

  it('reports every unresolvable reference, not just the first', () => {
    expect(errors(y('_format_version: "3.0"', 'services:', '  - name: "{vault://env/A}"', '    host: "{vault://env/B}"'))).toEqual([
      '3:11 cannot resolve {vault://env/A}: environment variable A is not set',
      '4:11 cannot resolve {vault://env/B}: environment variable B is not set',
    ]);
  });
});
