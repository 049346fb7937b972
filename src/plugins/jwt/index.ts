import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { jose } from '../../lazy.js';
import type { Consumer } from '../../config/types.js';
import type { PluginContext, PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { anonymousFallback } from '../auth.js';

interface JwtConfig {
  uri_param_names: string[];
  cookie_names: string[];
  header_names: string[];
  key_claim_name: string;
  secret_is_base64: boolean;
  claims_to_verify: Array<'exp' | 'nbf'> | null;
  maximum_expiration: number;
  anonymous: string | null;
  run_on_preflight: boolean;
  realm: string | null;
}

interface Credential {
  consumer: Consumer;
  key: string;
  algorithm: string;
  /** Imported once at compile time; null when the secret or public key is unusable ("Invalid key/secret"). */
  keyObject: KeyObject | null;
}

/** Algorithms a token may name (Kong's list). Anything else, `none` included, is "invalid alg". */
const ALGORITHMS: ReadonlySet<string> = new Set([
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA',
]);

type Json = Record<string, unknown>;

/** Kong's token decoding, with its error texts (prefixed "Bad token; " by the caller). */
export function decodeJwt(token: string): { header: Json; claims: Json } | string {
  const a = token.indexOf('.');
  const b = a < 0 ? -1 : token.indexOf('.', a + 1);
  if (b < 0 || token.indexOf('.', b + 1) >= 0) return 'invalid JSON';
  const header = parseJson(token.slice(0, a));
  const claims = parseJson(token.slice(a + 1, b));
  if (header === null || claims === null) return 'invalid JSON';
  const typ = header.typ;
  if (typ !== undefined && (typeof typ !== 'string' || typ.toUpperCase() !== 'JWT')) return 'invalid typ';
  if (typeof header.alg !== 'string' || !ALGORITHMS.has(header.alg)) return 'invalid alg';
  return { header, claims };
}

function parseJson(part: string): Json | null {
  if (part === '') return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null;
  } catch {
    return null;
  }
}

/** `Bearer <token>` (scheme case-insensitive as in Kong: [Bb]earer), or undefined. */
function bearer(value: string): string | undefined {
  let i = 0;
  while (i < value.length && (value.charCodeAt(i) === 32 || value.charCodeAt(i) === 9)) i++;
  if (value.length - i < 8) return undefined;
  const c = value.charCodeAt(i);
  if ((c !== 66 && c !== 98) || value.slice(i + 1, i + 6) !== 'earer') return undefined;
  const rest = value.slice(i + 6);
  if (rest.charCodeAt(0) !== 32 && rest.charCodeAt(0) !== 9) return undefined;
  const token = rest.trim();
  return token === '' ? undefined : token;
}

function cookieValues(header: string | undefined, names: ReadonlySet<string>, out: Set<string>): void {
  if (header === undefined) return;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!names.has(name)) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    if (v !== '') out.add(v);
  }
}

function importKey(secret: string | null, algorithm: string, pem: string | null, secretIsBase64: boolean): KeyObject | null {
  try {
    if (algorithm.startsWith('HS')) {
      if (secret === null) return null;
      const raw = secretIsBase64 ? Buffer.from(secret, 'base64') : Buffer.from(secret, 'utf8');
      return raw.length === 0 ? null : createSecretKey(raw);
    }
    return pem === null ? null : createPublicKey(pem);
  } catch {
    return null;
  }
}

/**
 * jwt (Kong priority 1450). Every credential's key is imported once per plugin instance at
 * compile time (HMAC secrets as secret KeyObjects, PEM public keys parsed); a request decodes the
 * token, finds the credential by its key claim, requires the token's alg to equal the credential's
 * algorithm, verifies the signature with jose, then the registered claims. Kong's messages and
 * order of checks; X-Credential-Identifier is the credential's key, as in Kong.
 */
export const jwt: PluginDefinition = {
  name: 'jwt',
  priority: 1450,
  schema: pluginSchema('jwt'),
  authenticates: true,
  check(config) {
    const claims = config.claims_to_verify as string[] | null;
    if ((config.maximum_expiration as number) > 0 && (claims === null || !claims.includes('exp'))) {
      return [{ path: ['claims_to_verify'], message: 'must contain exp when maximum_expiration is set (as in Kong)' }];
    }
    return [];
  },
  create(instance, ctx) {
    const conf = instance.config as unknown as JwtConfig;
    const byKey = new Map<string, Credential>();
    for (const s of ctx.config.jwt_secrets) {
      const consumer = ctx.consumers.byId.get(s.consumer);
      if (consumer === undefined) continue;
      byKey.set(s.key, { consumer, key: s.key, algorithm: s.algorithm, keyObject: importKey(s.secret, s.algorithm, s.rsa_public_key, conf.secret_is_base64) });
    }
    const uriParams = conf.uri_param_names;
    const cookies = new Set(conf.cookie_names);
    const headerNames = conf.header_names.map((h) => h.toLowerCase());
    const claimName = conf.key_claim_name;
    const claimsToVerify = conf.claims_to_verify ?? [];
    const maxExp = conf.maximum_expiration;

    const base = conf.realm !== null ? `Bearer realm="${conf.realm.replace(/["\\]/g, '\\$&')}"` : 'Bearer';
    const plain = { 'www-authenticate': base };
    const withError = { 'www-authenticate': base + ' error="invalid_token"' };
    const r = (message: string, headers = withError): PluginResponse => ({ status: 401, message, headers });
    const unauthorized = r('Unauthorized', plain);
    const multiple = r('Multiple tokens provided');
    const noClaim = r(`No mandatory '${claimName}' in claims`);
    const emptyClaim = r(`Invalid '${claimName}' in claims`);
    const noCredential = r(`No credentials found for given '${claimName}'`);
    const badAlgorithm = r('Invalid algorithm');
    const badKey = r('Invalid key/secret');
    const badSignature = r('Invalid signature');
    const badToken = new Map<string, PluginResponse>(['invalid JSON', 'invalid typ', 'invalid alg'].map((e) => [e, r('Bad token; ' + e)]));

    const fallback = anonymousFallback(conf.anonymous, ctx.consumers);
    const fail = (req: PluginContext, res: PluginResponse): PluginResponse | void => (fallback !== null ? fallback(req) : res);

    /** Kong's registered-claims errors, as {claim: message}; null when all is well. */
    const claimErrors = (claims: Json): Record<string, string> | null => {
      let errors: Record<string, string> | null = null;
      const now = Math.floor(Date.now() / 1000);
      for (const name of claimsToVerify) {
        const v = claims[name];
        if (typeof v !== 'number') (errors ??= {})[name] = 'must be a number';
        else if (name === 'exp' && v <= now) (errors ??= {}).exp = 'token expired';
        else if (name === 'nbf' && v > now) (errors ??= {}).nbf = 'token not valid yet';
      }
      if (errors === null && maxExp > 0) {
        const exp = claims.exp;
        if (typeof exp !== 'number' || exp - now > maxExp) errors = { exp: 'exceeds maximum allowed expiration' };
      }
      return errors;
    };
    const claimsResponse = (req: PluginContext, errors: Record<string, string>): PluginResponse => {
      const message = Object.entries(errors).map(([k, v]) => (v === 'must be a number' ? `${k} must be a number` : v)).join(', ');
      // SPEC's {"message","request_id"} plus Kong's per-claim keys ({"exp":"token expired"}).
      return { status: 401, headers: { ...withError, 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ message, request_id: req.requestId, ...errors }) };
    };

    return {
      access(req) {
        if (!conf.run_on_preflight && req.method === 'OPTIONS') return;
        if (req.credentialId !== null && fallback !== null) return;

        // Every place a token may be: more than one distinct token is refused (JWT smuggling).
        let token: string | undefined;
        let tokens: Set<string> | null = null;
        const add = (t: string): void => {
          if (token === undefined) token = t;
          else if (t !== token) (tokens ??= new Set([token])).add(t);
        };
        if (req.query !== '' && uriParams.length > 0) {
          const q = new URLSearchParams(req.query);
          for (const n of uriParams) for (const v of q.getAll(n)) if (v !== '') add(v);
        }
        if (cookies.size > 0) {
          const found = new Set<string>();
          cookieValues(req.header('cookie'), cookies, found);
          for (const v of found) add(v);
        }
        for (const h of headerNames) {
          const v = req.header(h);
          if (v === undefined) continue;
          const t = bearer(v);
          if (t !== undefined) add(t);
        }
        if (token === undefined) return fail(req, unauthorized);
        if (tokens !== null) return fail(req, multiple);

        const decoded = decodeJwt(token);
        if (typeof decoded === 'string') return fail(req, badToken.get(decoded)!);
        const { header, claims } = decoded;
        const keyValue = claims[claimName] ?? header[claimName];
        if (keyValue === undefined || keyValue === null) return fail(req, noClaim);
        if (keyValue === '') return fail(req, emptyClaim);
        const cred = byKey.get(String(keyValue));
        if (cred === undefined) return fail(req, noCredential);
        if (header.alg !== cred.algorithm) return fail(req, badAlgorithm);
        if (cred.keyObject === null) return fail(req, badKey);
        return jose().compactVerify(token, cred.keyObject, { algorithms: [cred.algorithm] }).then(
          () => {
            const errors = claimErrors(claims);
            if (errors !== null) return fallback !== null ? fallback(req) : claimsResponse(req, errors);
            req.authenticate(cred.consumer, cred.key, false);
          },
          () => fail(req, badSignature),
        );
      },
    };
  },
};
