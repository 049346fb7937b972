import type { PluginConfigProblem } from '../types.js';
import { FIELDS } from './fields.js';

export type Method = 'authorization_code' | 'bearer' | 'client_credentials' | 'introspection' | 'kong_oauth2' | 'password' | 'refresh_token' | 'session' | 'userinfo';
export type ParamType = 'header' | 'query' | 'body' | 'cookie';
export type SameSite = 'Default' | 'Lax' | 'None' | 'Strict';

const ALL_METHODS: readonly Method[] = ['authorization_code', 'bearer', 'client_credentials', 'introspection', 'kong_oauth2', 'password', 'refresh_token', 'session', 'userinfo'];

/** The fields Sluice implements, blank values resolved as Kong resolves them. */
export interface Conf {
  issuer: string;
  issuers_allowed: string[];
  client_id: string | null;
  client_secret: string | null;
  /** client_secret_basic or client_secret_post, per endpoint. */
  token_auth: string;
  introspection_auth: string;
  methods: ReadonlySet<Method>;
  scopes: string[];
  scopes_required: string[][];
  scopes_required_text: string;
  scopes_claim: string[];
  audience_required: string[][];
  audience_claim: string[];
  audience: string[];
  groups_claim: string[];
  groups_required: string[][];
  roles_claim: string[];
  roles_required: string[][];
  authenticated_groups_claim: string[] | null;
  claims_forbidden: string[];
  domains: string[];
  max_age: number | null;
  consumer_claim: string[] | null;
  consumer_by: Array<'id' | 'username' | 'custom_id'>;
  consumer_optional: boolean;
  by_username_ignore_case: boolean;
  credential_claim: string[];
  anonymous: string | null;
  upstream_headers: Array<[string, string]>;
  downstream_headers: Array<[string, string]>;
  upstream_access_token_header: string | null;
  downstream_access_token_header: string | null;
  upstream_id_token_header: string | null;
  downstream_id_token_header: string | null;
  upstream_refresh_token_header: string | null;
  downstream_refresh_token_header: string | null;
  upstream_user_info_header: string | null;
  downstream_user_info_header: string | null;
  upstream_introspection_header: string | null;
  downstream_introspection_header: string | null;
  hide_credentials: boolean;
  bearer_token_param_type: ReadonlySet<ParamType>;
  bearer_token_cookie_name: string | null;
  client_credentials_param_type: ReadonlySet<ParamType>;
  password_param_type: ReadonlySet<ParamType>;
  id_token_param_type: ReadonlySet<ParamType>;
  id_token_param_name: string | null;
  refresh_token_param_type: ReadonlySet<ParamType>;
  refresh_token_param_name: string | null;
  leeway: number;
  verify_claims: boolean;
  verify_signature: boolean;
  verify_nonce: boolean;
  verify_parameters: boolean;
  ssl_verify: boolean;
  timeout: number;
  rediscovery_lifetime: number;
  authorization_endpoint: string | null;
  token_endpoint: string | null;
  introspection_endpoint: string | null;
  userinfo_endpoint: string | null;
  introspect_jwt_tokens: boolean;
  introspection_hint: string | null;
  introspection_check_active: boolean;
  cache_ttl: number;
  cache_ttl_max: number | null;
  cache_ttl_min: number | null;
  cache_introspection: boolean;
  cache_tokens: boolean;
  cache_user_info: boolean;
  search_user_info: boolean;
  redirect_uri: string | null;
  preserve_query_args: boolean;
  authorization_query_args: Array<[string, string]>;
  authorization_query_args_client: string[];
  token_post_args: Array<[string, string]>;
  logout_uri_suffix: string | null;
  logout_methods: ReadonlySet<string>;
  logout_query_arg: string | null;
  logout_redirect_uri: string | null;
  unauthorized_redirect_uri: string | null;
  forbidden_redirect_uri: string | null;
  unexpected_redirect_uri: string | null;
  unauthorized_error_message: string;
  forbidden_error_message: string;
  unauthorized_destroy_session: boolean;
  forbidden_destroy_session: boolean;
  display_errors: boolean;
  expose_error_code: boolean;
  refresh_tokens: boolean;
  session_secret: string | null;
  session_cookie: CookieConf;
  session_absolute_timeout: number;
  session_rolling_timeout: number;
  session_idling_timeout: number;
  authorization_cookie: CookieConf;
  authorization_rolling_timeout: number;
  run_on_preflight: boolean;
}

export interface CookieConf {
  name: string;
  path: string;
  domain: string | null;
  httpOnly: boolean;
  sameSite: SameSite;
  /** null: when the redirect URI is https. */
  secure: boolean | null;
}

type Raw = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const bool = (v: unknown, d: boolean): boolean => (typeof v === 'boolean' ? v : d);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
/** Kong: a blank (null or empty) array field takes its default. */
const listOr = (v: unknown, d: string[]): string[] => {
  const l = list(v);
  return l.length > 0 ? l : d;
};
const firstOf = (v: unknown): string | null => list(v)[0] ?? null;
/** Kong's AND/OR lists: any entry (OR) whose space-separated values are all present (AND). */
const andOr = (v: unknown): string[][] => list(v).map((s) => s.split(' ').filter((x) => x !== '')).filter((a) => a.length > 0);
const pairs = (names: unknown, values: unknown): Array<[string, string]> => {
  const n = list(names);
  const vs = list(values);
  return n.slice(0, vs.length).map((k, i) => [k, vs[i]!]);
};
const params = (v: unknown, d: ParamType[]): ReadonlySet<ParamType> => new Set(listOr(v, d) as ParamType[]);
const header = (v: unknown): string | null => str(v)?.toLowerCase() ?? null;

function cookie(raw: Raw, prefix: 'session' | 'authorization', name: string, sameSite: SameSite): CookieConf {
  return {
    name: str(raw[`${prefix}_cookie_name`]) ?? name,
    path: str(raw[`${prefix}_cookie_path`]) ?? '/',
    domain: str(raw[`${prefix}_cookie_domain`]),
    httpOnly: bool(raw[`${prefix}_cookie_http_only`], true),
    sameSite: (str(raw[`${prefix}_cookie_same_site`]) as SameSite | null) ?? sameSite,
    secure: typeof raw[`${prefix}_cookie_secure`] === 'boolean' ? (raw[`${prefix}_cookie_secure`] as boolean) : null,
  };
}

/** Resolves the validated config (defaults filled, blanks possible) into Conf. */
export function resolveConf(raw: Raw): Conf {
  const methods = list(raw.auth_methods);
  const clientAuth = firstOf(raw.client_auth) ?? 'client_secret_basic';
  const scopesRequired = andOr(raw.scopes_required);
  return {
    issuer: String(raw.issuer),
    issuers_allowed: list(raw.issuers_allowed),
    client_id: firstOf(raw.client_id),
    client_secret: firstOf(raw.client_secret),
    token_auth: str(raw.token_endpoint_auth_method) ?? clientAuth,
    introspection_auth: str(raw.introspection_endpoint_auth_method) ?? clientAuth,
    methods: new Set((methods.length > 0 ? methods : ALL_METHODS) as Method[]),
    scopes: Array.isArray(raw.scopes) ? list(raw.scopes) : ['openid'],
    scopes_required: scopesRequired,
    scopes_required_text: list(raw.scopes_required).join(' '),
    scopes_claim: listOr(raw.scopes_claim, ['scope']),
    audience_required: andOr(raw.audience_required),
    audience_claim: listOr(raw.audience_claim, ['aud']),
    audience: list(raw.audience),
    groups_claim: listOr(raw.groups_claim, ['groups']),
    groups_required: andOr(raw.groups_required),
    roles_claim: listOr(raw.roles_claim, ['roles']),
    roles_required: andOr(raw.roles_required),
    authenticated_groups_claim: list(raw.authenticated_groups_claim).length > 0 ? list(raw.authenticated_groups_claim) : null,
    claims_forbidden: list(raw.claims_forbidden),
    domains: list(raw.domains),
    max_age: numOrNull(raw.max_age),
    consumer_claim: list(raw.consumer_claim).length > 0 ? list(raw.consumer_claim) : null,
    consumer_by: listOr(raw.consumer_by, ['custom_id', 'username']) as Conf['consumer_by'],
    consumer_optional: bool(raw.consumer_optional, false),
    by_username_ignore_case: bool(raw.by_username_ignore_case, false),
    credential_claim: listOr(raw.credential_claim, ['sub']),
    anonymous: str(raw.anonymous),
    upstream_headers: pairs(raw.upstream_headers_claims, list(raw.upstream_headers_names).map((h) => h.toLowerCase())),
    downstream_headers: pairs(raw.downstream_headers_claims, list(raw.downstream_headers_names).map((h) => h.toLowerCase())),
    upstream_access_token_header: raw.upstream_access_token_header === undefined ? 'authorization:bearer' : header(raw.upstream_access_token_header),
    downstream_access_token_header: header(raw.downstream_access_token_header),
    upstream_id_token_header: header(raw.upstream_id_token_header),
    downstream_id_token_header: header(raw.downstream_id_token_header),
    upstream_refresh_token_header: header(raw.upstream_refresh_token_header),
    downstream_refresh_token_header: header(raw.downstream_refresh_token_header),
    upstream_user_info_header: header(raw.upstream_user_info_header),
    downstream_user_info_header: header(raw.downstream_user_info_header),
    upstream_introspection_header: header(raw.upstream_introspection_header),
    downstream_introspection_header: header(raw.downstream_introspection_header),
    hide_credentials: bool(raw.hide_credentials, false),
    bearer_token_param_type: params(raw.bearer_token_param_type, ['header', 'query']),
    bearer_token_cookie_name: str(raw.bearer_token_cookie_name),
    client_credentials_param_type: params(raw.client_credentials_param_type, ['header', 'query']),
    password_param_type: params(raw.password_param_type, ['header', 'query']),
    id_token_param_type: params(raw.id_token_param_type, ['header', 'query']),
    id_token_param_name: str(raw.id_token_param_name),
    refresh_token_param_type: params(raw.refresh_token_param_type, ['header', 'query']),
    refresh_token_param_name: str(raw.refresh_token_param_name),
    leeway: num(raw.leeway, 0),
    verify_claims: bool(raw.verify_claims, true),
    verify_signature: bool(raw.verify_signature, true),
    verify_nonce: bool(raw.verify_nonce, true),
    verify_parameters: bool(raw.verify_parameters, false),
    ssl_verify: bool(raw.ssl_verify, true),
    timeout: num(raw.timeout, 10000),
    rediscovery_lifetime: num(raw.rediscovery_lifetime, 30),
    authorization_endpoint: str(raw.authorization_endpoint),
    token_endpoint: str(raw.token_endpoint),
    introspection_endpoint: str(raw.introspection_endpoint),
    userinfo_endpoint: str(raw.userinfo_endpoint),
    introspect_jwt_tokens: bool(raw.introspect_jwt_tokens, false),
    introspection_hint: raw.introspection_hint === undefined ? 'access_token' : str(raw.introspection_hint),
    introspection_check_active: bool(raw.introspection_check_active, true),
    cache_ttl: num(raw.cache_ttl, 3600),
    cache_ttl_max: numOrNull(raw.cache_ttl_max),
    cache_ttl_min: numOrNull(raw.cache_ttl_min),
    cache_introspection: bool(raw.cache_introspection, true),
    cache_tokens: bool(raw.cache_tokens, true),
    cache_user_info: bool(raw.cache_user_info, true),
    search_user_info: bool(raw.search_user_info, false),
    redirect_uri: firstOf(raw.redirect_uri),
    preserve_query_args: bool(raw.preserve_query_args, false),
    authorization_query_args: pairs(raw.authorization_query_args_names, raw.authorization_query_args_values),
    authorization_query_args_client: list(raw.authorization_query_args_client),
    token_post_args: pairs(raw.token_post_args_names, raw.token_post_args_values),
    logout_uri_suffix: str(raw.logout_uri_suffix),
    logout_methods: new Set(listOr(raw.logout_methods, ['POST', 'DELETE'])),
    logout_query_arg: str(raw.logout_query_arg),
    logout_redirect_uri: firstOf(raw.logout_redirect_uri),
    unauthorized_redirect_uri: firstOf(raw.unauthorized_redirect_uri),
    forbidden_redirect_uri: firstOf(raw.forbidden_redirect_uri),
    unexpected_redirect_uri: firstOf(raw.unexpected_redirect_uri),
    unauthorized_error_message: str(raw.unauthorized_error_message) ?? 'Unauthorized',
    forbidden_error_message: str(raw.forbidden_error_message) ?? 'Forbidden',
    unauthorized_destroy_session: bool(raw.unauthorized_destroy_session, true),
    forbidden_destroy_session: bool(raw.forbidden_destroy_session, true),
    display_errors: bool(raw.display_errors, false),
    expose_error_code: bool(raw.expose_error_code, true),
    refresh_tokens: bool(raw.refresh_tokens, true),
    session_secret: str(raw.session_secret),
    session_cookie: cookie(raw, 'session', 'session', 'Lax'),
    session_absolute_timeout: num(raw.session_absolute_timeout, 86400),
    session_rolling_timeout: num(raw.session_rolling_timeout, 3600),
    session_idling_timeout: num(raw.session_idling_timeout, 900),
    // Kong's default for the authorization cookie is SameSite "Default" (no attribute); Lax is
    // what a login that returns by a top-level GET needs, and what Sluice always sent.
    authorization_cookie: cookie(raw, 'authorization', 'authorization', 'Lax'),
    authorization_rolling_timeout: num(raw.authorization_rolling_timeout, 600),
    run_on_preflight: bool(raw.run_on_preflight, true),
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const blank = (v: unknown): boolean => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

/**
 * Refusals (FIELDS): a refused field set to anything but null, empty or Kong's default, and an
 * implemented field set to a value Sluice does not support.
 */
export function checkConf(config: Raw): PluginConfigProblem[] {
  const out: PluginConfigProblem[] = [];
  for (const [name, v] of Object.entries(config)) {
    const spec = FIELDS[name];
    if (spec === undefined || blank(v)) continue;
    if (spec.status === 'refused' && !same(v, spec.kongDefault)) {
      out.push({ path: [name], message: `is set: field ${name} of openid-connect is not supported by Sluice (only null, empty or Kong's default are accepted)` });
    } else if (spec.only !== undefined) {
      const values = Array.isArray(v) ? v : [v];
      const bad = values.find((x) => !spec.only!.some((o) => same(o, x)));
      if (bad !== undefined) out.push({ path: [name], message: `${JSON.stringify(bad)}: this value of field ${name} of openid-connect is not supported by Sluice (supported: ${spec.only.map((o) => JSON.stringify(o)).join(', ')})` });
    }
  }
  return out;
}
