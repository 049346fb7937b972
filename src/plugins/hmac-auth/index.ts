import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Consumer } from '../../config/types.js';
import type { PluginContext, PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { anonymousFallback } from '../auth.js';

interface HmacAuthConfig {
  hide_credentials: boolean;
  clock_skew: number;
  anonymous: string | null;
  validate_request_body: boolean;
  enforce_headers: string[];
  algorithms: string[];
  realm: string | null;
}

interface Credential {
  consumer: Consumer;
  username: string;
  secret: KeyObject;
}

/** Kong's algorithm names → node's digest names. */
const DIGESTS: Readonly<Record<string, string>> = { 'hmac-sha1': 'sha1', 'hmac-sha256': 'sha256', 'hmac-sha384': 'sha384', 'hmac-sha512': 'sha512' };

/** Kong's Authorization format: hmac username="…", algorithm="…", headers="…", signature="…". */
const AUTH = /^\s*[Hh]mac\s*username="([^"]+)",\s*algorithm="([^"]+)",\s*headers="([^"]+)",\s*signature="([^"]+)"/;

export interface HmacParams {
  username: string;
  algorithm: string;
  headers: string[];
  signature: string;
}

export function parseHmacAuthorization(value: string | undefined): HmacParams | null {
  if (value === undefined) return null;
  const m = AUTH.exec(value);
  if (m === null) return null;
  return { username: m[1]!, algorithm: m[2]!, headers: m[3]!.split(' ').filter((h) => h !== ''), signature: m[4]! };
}

/**
 * The string a Kong client signs: for each listed header `name: value`, `request-line` as
 * `METHOD /path?query HTTP/1.1`, a listed header that is absent as `name:`; joined by newlines.
 */
export function signingString(params: HmacParams, req: Pick<PluginContext, 'method' | 'headers'>, requestUri: string): string {
  let s = '';
  const list = params.headers;
  for (let i = 0; i < list.length; i++) {
    const name = list[i]!;
    const value = req.headers[name.toLowerCase()];
    if (value === undefined) s += name === 'request-line' ? `${req.method} ${requestUri} HTTP/1.1` : name + ':';
    else s += name + ': ' + value;
    if (i < list.length - 1) s += '\n';
  }
  return s;
}

/** Seconds since the epoch of an HTTP date, or NaN. */
function httpTime(value: string | undefined): number {
  return value === undefined ? NaN : Date.parse(value) / 1000;
}

/**
 * hmac-auth (Kong priority 1030). Kong's signature scheme and messages: the Date or X-Date header
 * within clock_skew, the enforced headers signed, an accepted algorithm, and the signature
 * (base64) compared with timingSafeEqual. The request-line is signed with the path and query
 * (Kong also accepts the path alone, a deprecated form; so does Sluice). Secrets are imported
 * as KeyObjects once at compile time. X-Credential-Identifier is the credential's username.
 * `validate_request_body` is refused by the schema: bodies stream, they are not buffered.
 */
export const hmacAuth: PluginDefinition = {
  name: 'hmac-auth',
  priority: 1030,
  schema: pluginSchema('hmac-auth'),
  authenticates: true,
  check(config) {
    if (config.validate_request_body === true) {
      return [{ path: ['validate_request_body'], message: 'is not supported: Sluice streams request bodies to the upstream and cannot check the Digest header before proxying; set it to false' }];
    }
    return [];
  },
  create(instance, ctx) {
    const conf = instance.config as unknown as HmacAuthConfig;
    const byUsername = new Map<string, Credential>();
    for (const c of ctx.config.hmacauth_credentials) {
      const consumer = ctx.consumers.byId.get(c.consumer);
      if (consumer === undefined) continue;
      byUsername.set(c.username, { consumer, username: c.username, secret: createSecretKey(Buffer.from(c.secret, 'utf8')) });
    }
    const algorithms = new Set(conf.algorithms);
    const enforced = conf.enforce_headers;
    const skew = conf.clock_skew;
    const challenge = { 'www-authenticate': conf.realm !== null ? `hmac realm="${conf.realm.replace(/["\\]/g, '\\$&')}"` : 'hmac' };
    const r = (message: string): PluginResponse => ({ status: 401, message, headers: challenge });
    const unauthorized = r('Unauthorized');
    const badDate = r('HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication');
    const notValid = r('HMAC signature cannot be verified');
    const noMatch = r('HMAC signature does not match');
    const fallback = anonymousFallback(conf.anonymous, ctx.consumers);
    const fail = (req: PluginContext, res: PluginResponse): PluginResponse | void => (fallback !== null ? fallback(req) : res);

    const matches = (params: HmacParams, cred: Credential, req: PluginContext, uri: string, given: Buffer): boolean => {
      const mac = createHmac(DIGESTS[params.algorithm]!, cred.secret).update(signingString(params, req, uri)).digest();
      return mac.length === given.length && timingSafeEqual(mac, given);
    };

    return {
      access(req) {
        if (req.credentialId !== null && fallback !== null) return;
        const authorization = req.header('authorization');
        const proxyAuthorization = req.header('proxy-authorization');
        if (authorization === undefined && proxyAuthorization === undefined) return fail(req, unauthorized);

        const now = Date.now() / 1000;
        const xDate = httpTime(req.header('x-date'));
        const date = httpTime(req.header('date'));
        if (!(Math.abs(now - xDate) <= skew) && !(Math.abs(now - date) <= skew)) return fail(req, badDate);

        let params = parseHmacAuthorization(proxyAuthorization);
        if (params === null) {
          params = parseHmacAuthorization(authorization);
          if (params !== null && conf.hide_credentials) req.setUpstreamHeader('authorization', null);
        }
        if (params === null) return fail(req, notValid);
        for (const h of enforced) if (!params.headers.includes(h)) return fail(req, notValid);
        if (!algorithms.has(params.algorithm)) return fail(req, notValid);
        const cred = byUsername.get(params.username);
        if (cred === undefined) return fail(req, notValid);

        const given = Buffer.from(params.signature, 'base64');
        const uri = req.query === '' ? req.path : req.path + '?' + req.query;
        const ok = matches(params, cred, req, uri, given) || (uri !== req.path && params.headers.includes('request-line') && matches(params, cred, req, req.path, given));
        if (!ok) return fail(req, noMatch);
        req.authenticate(cred.consumer, cred.username, false);
      },
    };
  },
};
