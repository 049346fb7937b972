import { postForm } from './common.js';

/** An RFC 7662 introspection response (`active` plus whatever claims the server returns). */
export type Introspection = Record<string, unknown> & { active: boolean };

export class IntrospectionError extends Error {}

/**
 * RFC 7662 §2.1: POST token (+ token_type_hint) as a form, authenticated by `authorization`
 * (or client_id/client_secret in the body when `bodyAuth` is given). Anything but a 200 JSON
 * answer with a boolean `active` is an IntrospectionError (fail closed).
 */
export async function introspect(
  url: string,
  token: string,
  opts: { hint?: string | null; authorization?: string | null; bodyAuth?: Record<string, string>; headers?: Record<string, string>; timeout: number },
): Promise<Introspection> {
  const form: Record<string, string> = { token, ...opts.bodyAuth };
  if (opts.hint) form.token_type_hint = opts.hint;
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.authorization) headers.authorization = opts.authorization;
  let res;
  try {
    res = await postForm(url, form, headers, opts.timeout);
  } catch (err) {
    throw new IntrospectionError(`introspection endpoint unreachable: ${(err as Error).message}`);
  }
  if (res.status !== 200 || res.json === null || typeof res.json.active !== 'boolean') {
    throw new IntrospectionError(`introspection endpoint answered ${res.status}`);
  }
  return res.json as Introspection;
}

/** Expiry (ms) of a cached introspection result: `ttl` seconds (0 = Kong's "no expiry"), never past the token's `exp`. */
export function introspectionExpiry(result: Introspection, ttlSeconds: number, now = Date.now()): number {
  let exp = ttlSeconds > 0 ? now + ttlSeconds * 1000 : Number.MAX_SAFE_INTEGER;
  if (result.active && typeof result.exp === 'number') exp = Math.min(exp, result.exp * 1000);
  return exp;
}
