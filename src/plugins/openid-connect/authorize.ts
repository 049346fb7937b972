import type { Consumer } from '../../config/types.js';
import type { PluginContext } from '../types.js';
import type { ParamType } from './config.js';
import type { Core } from './core.js';
import { queryWithout } from './credentials.js';
import { userinfo } from './flows/userinfo.js';
import { withoutCookie } from './seal.js';

/** What a flow established: the claims to check, and the tokens to pass on. */
export interface Authenticated {
  claims: Record<string, unknown>;
  accessToken: string | null;
  /** Where the client sent the access token (hide_credentials removes it there). */
  tokenFrom?: ParamType;
  idToken?: string | null;
  refreshToken?: string | null;
  introspection?: Record<string, unknown> | null;
  userinfo?: Record<string, unknown> | null;
}

export function claimAt(claims: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = claims;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

export function asList(v: unknown): string[] {
  if (typeof v === 'string') return v.split(' ').filter((s) => s !== '');
  if (Array.isArray(v)) return v.filter((s): s is string => typeof s === 'string');
  return [];
}

/** Kong's AND/OR rule: any entry of `required` whose values are all in `have`. */
function satisfies(required: readonly (readonly string[])[], have: readonly string[]): boolean {
  if (required.length === 0) return true;
  const set = new Set(have);
  return required.some((all) => all.every((s) => set.has(s)));
}

function headerText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(String).join(',');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

const b64json = (v: Record<string, unknown>): string => Buffer.from(JSON.stringify(v)).toString('base64');

/** `name` or `name:bearer` (Kong's upstream_access_token_header form) → header name and prefix. */
function tokenHeader(spec: string): [string, string] {
  const [name, kind] = spec.split(':');
  return [name!.trim(), kind?.trim().toLowerCase() === 'bearer' ? 'Bearer ' : ''];
}

/**
 * The checks every flow shares, in Kong's order: claims (max_age, domains, claims_forbidden,
 * audience, scopes, groups, roles), the consumer, authenticated groups for acl, then the headers
 * sent upstream and to the client and hide_credentials. Throws OidcError (401 / 403).
 */
export async function authorize(core: Core, req: PluginContext, a: Authenticated): Promise<void> {
  const c = core.conf;
  let claims = a.claims;
  if ((c.search_user_info || c.upstream_user_info_header !== null || c.downstream_user_info_header !== null) && a.userinfo === undefined && a.accessToken !== null) {
    a.userinfo = await userinfo(core, a.accessToken).catch(() => null);
  }
  if (c.search_user_info && a.userinfo) claims = { ...a.userinfo, ...claims };

  const now = Date.now() / 1000;
  if (c.max_age !== null && typeof claims.auth_time === 'number' && claims.auth_time + c.max_age + c.leeway < now) throw core.unauthorized('The authentication is too old (max_age)');
  if (c.domains.length > 0 && !(typeof claims.hd === 'string' && c.domains.includes(claims.hd))) throw core.insufficient('The token hd claim is not an allowed domain');
  for (const f of c.claims_forbidden) if (claims[f] !== undefined) throw core.insufficient(`The token has the forbidden claim ${f}`);
  if (c.audience_required.length > 0 && !satisfies(c.audience_required, asList(claimAt(claims, c.audience_claim)))) throw core.unauthorized('The access token audience is not accepted');
  if (c.scopes_required.length > 0) {
    let scopes = claimAt(claims, c.scopes_claim);
    if (scopes === undefined) scopes = claims.scp;
    if (!satisfies(c.scopes_required, asList(scopes))) throw core.insufficient('The access token does not have the required scopes', c.scopes_required_text || undefined);
  }
  if (c.groups_required.length > 0 && !satisfies(c.groups_required, asList(claimAt(claims, c.groups_claim)))) throw core.insufficient('The access token does not have the required groups');
  if (c.roles_required.length > 0 && !satisfies(c.roles_required, asList(claimAt(claims, c.roles_claim)))) throw core.insufficient('The access token does not have the required roles');

  const credential = headerText(claimAt(claims, c.credential_claim));
  if (c.consumer_claim !== null) {
    const ref = claimAt(claims, c.consumer_claim);
    let consumer: Consumer | undefined;
    if (typeof ref === 'string') {
      for (const by of c.consumer_by) {
        consumer = core.findConsumer(by, ref);
        if (consumer !== undefined) break;
      }
    }
    if (consumer !== undefined) req.authenticate(consumer, credential, false);
    else if (!c.consumer_optional) throw core.forbidden();
  }
  if (c.authenticated_groups_claim !== null) req.authenticatedGroups = asList(claimAt(claims, c.authenticated_groups_claim));

  for (const [claim, header] of c.upstream_headers) req.setUpstreamHeader(header, headerText(claims[claim]));
  for (const [claim, header] of c.downstream_headers) {
    const v = headerText(claims[claim]);
    if (v !== null) req.addResponseHeader(header, v);
  }
  if (c.hide_credentials) {
    req.setUpstreamHeader('authorization', null);
    const cookie = req.header('cookie');
    if (cookie !== undefined) req.setUpstreamHeader('cookie', withoutCookie(cookie, c.session_cookie.name));
    const q = queryWithout(req.query, ['access_token', 'client_id', 'client_secret', 'username', 'password', ...(c.id_token_param_name !== null ? [c.id_token_param_name] : []), ...(c.refresh_token_param_name !== null ? [c.refresh_token_param_name] : [])]);
    if (q !== null) req.setUpstreamQuery(q);
  }
  const send = (up: string | null, down: string | null, value: string | null | undefined): void => {
    if (value === null || value === undefined) return;
    if (up !== null) {
      const [name, prefix] = tokenHeader(up);
      req.setUpstreamHeader(name, prefix + value);
    }
    if (down !== null) {
      const [name, prefix] = tokenHeader(down);
      req.addResponseHeader(name, prefix + value);
    }
  };
  send(c.upstream_access_token_header, c.downstream_access_token_header, a.accessToken);
  send(c.upstream_id_token_header, c.downstream_id_token_header, a.idToken);
  send(c.upstream_refresh_token_header, c.downstream_refresh_token_header, a.refreshToken);
  send(c.upstream_user_info_header, c.downstream_user_info_header, a.userinfo ? b64json(a.userinfo) : null);
  send(c.upstream_introspection_header, c.downstream_introspection_header, a.introspection ? b64json(a.introspection) : null);
}
