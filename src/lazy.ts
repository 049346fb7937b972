import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A dependency only some configurations use (ioredis, jose, undici, ajv, bcryptjs), loaded on
 * first use. Every thread imports every plugin's code, and each of these libraries costs a
 * thread 5–20 MB of RSS once loaded; a gateway that does not use Redis, JWTs or log shippers
 * should not pay for them.
 */
export function lazy<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= require(id) as T);
}

export const undici = lazy<typeof import('undici')>('undici');
export const jose = lazy<typeof import('jose')>('jose');
export const ioredis = lazy<typeof import('ioredis')>('ioredis');
export const bcryptjs = lazy<typeof import('bcryptjs')>('bcryptjs');

// ajv and ajv-formats are CommonJS modules with a `default` export.
type AjvClass = typeof import('ajv').default;
export const ajv = lazy<{ default: AjvClass }>('ajv');
export const ajv2019 = lazy<{ default: AjvClass }>('ajv/dist/2019');
export const ajv2020 = lazy<{ default: AjvClass }>('ajv/dist/2020');
export const ajvFormats = lazy<{ default: (a: InstanceType<AjvClass>) => InstanceType<AjvClass> }>('ajv-formats');
