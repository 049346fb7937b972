/**
 * Every field of Kong's openid-connect plugin (issue 19 item 2) is implemented, a documented
 * no-op, or refused with "field X of openid-connect is not supported by Sluice"; blank values
 * mean what they mean in Kong (item 3).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIELDS } from '../../../src/plugins/openid-connect/fields.js';
import { resolveConf } from '../../../src/plugins/openid-connect/config.js';
import { REPO_ROOT } from '../../helpers/gateway.js';
import { config, errors, y } from '../config/helpers.js';

/** The config field names of Kong's openid-connect plugin, Kong Gateway 3.4 to 3.12 (from Kong's published plugin schemas). */
const KONG_FIELDS: string[] = ["anonymous", "audience", "audience_claim", "audience_required", "auth_methods", "authenticated_groups_claim", "authorization_cookie_domain", "authorization_cookie_http_only", "authorization_cookie_name", "authorization_cookie_path", "authorization_cookie_same_site", "authorization_cookie_secure", "authorization_endpoint", "authorization_query_args_client", "authorization_query_args_names", "authorization_query_args_values", "authorization_rolling_timeout", "bearer_token_cookie_name", "bearer_token_param_type", "by_username_ignore_case", "cache_introspection", "cache_token_exchange", "cache_tokens", "cache_tokens_salt", "cache_ttl", "cache_ttl_max", "cache_ttl_min", "cache_ttl_neg", "cache_ttl_resurrect", "cache_user_info", "claims_forbidden", "client_alg", "client_arg", "client_auth", "client_credentials_param_type", "client_id", "client_jwk", "client_secret", "cluster_cache_redis", "cluster_cache_strategy", "consumer_by", "consumer_claim", "consumer_groups_claim", "consumer_groups_optional", "consumer_optional", "credential_claim", "disable_session", "discovery_headers_names", "discovery_headers_values", "display_errors", "domains", "downstream_access_token_header", "downstream_access_token_jwk_header", "downstream_headers_claims", "downstream_headers_names", "downstream_id_token_header", "downstream_id_token_jwk_header", "downstream_introspection_header", "downstream_introspection_jwt_header", "downstream_refresh_token_header", "downstream_session_id_header", "downstream_user_info_header", "downstream_user_info_jwt_header", "dpop_proof_lifetime", "dpop_use_nonce", "enable_hs_signatures", "end_session_endpoint", "expose_error_code", "extra_jwks_uris", "forbidden_destroy_session", "forbidden_error_message", "forbidden_redirect_uri", "groups_claim", "groups_required", "hide_credentials", "http_proxy", "http_proxy_authorization", "http_version", "https_proxy", "https_proxy_authorization", "id_token_param_name", "id_token_param_type", "ignore_signature", "introspect_jwt_tokens", "introspection_accept", "introspection_check_active", "introspection_endpoint", "introspection_endpoint_auth_method", "introspection_headers_client", "introspection_headers_names", "introspection_headers_values", "introspection_hint", "introspection_post_args_client", "introspection_post_args_client_headers", "introspection_post_args_names", "introspection_post_args_values", "introspection_token_param_name", "issuer", "issuers_allowed", "jwt_session_claim", "jwt_session_cookie", "keepalive", "leeway", "login_action", "login_methods", "login_redirect_mode", "login_redirect_uri", "login_tokens", "logout_methods", "logout_post_arg", "logout_query_arg", "logout_redirect_uri", "logout_revoke", "logout_revoke_access_token", "logout_revoke_refresh_token", "logout_uri_suffix", "max_age", "mtls_introspection_endpoint", "mtls_revocation_endpoint", "mtls_token_endpoint", "no_proxy", "password_param_type", "preserve_query_args", "proof_of_possession_auth_methods_validation", "proof_of_possession_dpop", "proof_of_possession_mtls", "pushed_authorization_request_endpoint", "pushed_authorization_request_endpoint_auth_method", "redirect_uri", "redis", "rediscovery_lifetime", "refresh_token_param_name", "refresh_token_param_type", "refresh_tokens", "require_proof_key_for_code_exchange", "require_pushed_authorization_requests", "require_signed_request_object", "resolve_distributed_claims", "response_mode", "response_type", "reverify", "revocation_endpoint", "revocation_endpoint_auth_method", "revocation_token_param_name", "roles_claim", "roles_required", "run_on_preflight", "scopes", "scopes_claim", "scopes_required", "search_user_info", "session_absolute_timeout", "session_audience", "session_bind", "session_cookie_domain", "session_cookie_http_only", "session_cookie_name", "session_cookie_path", "session_cookie_same_site", "session_cookie_secure", "session_enforce_same_subject", "session_hash_storage_key", "session_hash_subject", "session_idling_timeout", "session_memcached_host", "session_memcached_port", "session_memcached_prefix", "session_memcached_socket", "session_redis_cluster_max_redirections", "session_redis_cluster_nodes", "session_redis_connect_timeout", "session_redis_host", "session_redis_password", "session_redis_port", "session_redis_prefix", "session_redis_read_timeout", "session_redis_send_timeout", "session_redis_server_name", "session_redis_socket", "session_redis_ssl", "session_redis_ssl_verify", "session_redis_username", "session_remember", "session_remember_absolute_timeout", "session_remember_cookie_name", "session_remember_rolling_timeout", "session_request_headers", "session_response_headers", "session_rolling_timeout", "session_secret", "session_storage", "session_store_metadata", "ssl_verify", "timeout", "tls_client_auth_cert_id", "tls_client_auth_ssl_verify", "token_cache_key_include_scope", "token_endpoint", "token_endpoint_auth_method", "token_exchange_endpoint", "token_headers_client", "token_headers_grants", "token_headers_names", "token_headers_prefix", "token_headers_replay", "token_headers_values", "token_post_args_client", "token_post_args_names", "token_post_args_values", "unauthorized_destroy_session", "unauthorized_error_message", "unauthorized_redirect_uri", "unexpected_redirect_uri", "upstream_access_token_header", "upstream_access_token_jwk_header", "upstream_headers_claims", "upstream_headers_names", "upstream_id_token_header", "upstream_id_token_jwk_header", "upstream_introspection_header", "upstream_introspection_jwt_header", "upstream_refresh_token_header", "upstream_session_id_header", "upstream_user_info_header", "upstream_user_info_jwt_header", "userinfo_accept", "userinfo_endpoint", "userinfo_headers_client", "userinfo_headers_names", "userinfo_headers_values", "userinfo_query_args_client", "userinfo_query_args_names", "userinfo_query_args_values", "using_pseudo_issuer", "verify_claims", "verify_nonce", "verify_parameters", "verify_signature"];

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas', 'plugins', 'openid-connect.json'), 'utf8')) as { properties: Record<string, Record<string, unknown>> };

const plugin = (...lines: string[]): string =>
  y('_format_version: "3.0"', 'plugins:', '  - name: openid-connect', '    config:', '      issuer: https://idp.example.com/pool', ...lines.map((l) => '      ' + l));

/** A value of the field's type that is neither null nor empty nor Kong's default. */
function otherValue(name: string): unknown {
  const p = schema.properties[name]!;
  const d = FIELDS[name]!.kongDefault;
  const enumOf = (p.enum ?? (p.items as Record<string, unknown> | undefined)?.enum) as unknown[] | undefined;
  const types = ([] as unknown[]).concat(p.type ?? []);
  if (enumOf !== undefined) {
    const v = enumOf.find((x) => x !== null && JSON.stringify(x) !== JSON.stringify(d) && !(Array.isArray(d) && d.includes(x)));
    return types.includes('array') ? [v] : v;
  }
  if (types.includes('boolean')) return d === true ? false : true;
  if (types.includes('integer') || types.includes('number')) return typeof d === 'number' ? d + 7 : 7;
  if (types.includes('array')) return (p.items as Record<string, unknown>).type === 'object' ? [{ a: 1 }] : ['x-something'];
  if (types.includes('object')) return { host: 'redis.internal' };
  return 'https://x.example.com/something';
}

describe('openid-connect fields', () => {
  it('knows every field of Kong\'s plugin, and no other', () => {
    expect(KONG_FIELDS).toHaveLength(238);
    expect(Object.keys(FIELDS).sort()).toEqual([...KONG_FIELDS].sort());
    expect(Object.keys(schema.properties).sort()).toEqual([...KONG_FIELDS].sort());
  });

  it('every no-op and refused field says so in its schema description', () => {
    for (const [name, spec] of Object.entries(FIELDS)) {
      const text = String(schema.properties[name]!.description);
      if (spec.status === 'no-op') expect(text, name).toMatch(/without effect in Sluice/);
      if (spec.status === 'refused') expect(text, name).toMatch(/Not supported by Sluice/);
    }
  });

  it('refuses every refused field set to another value than null, empty or Kong\'s default, naming it', () => {
    const refused = Object.entries(FIELDS).filter(([, s]) => s.status === 'refused');
    expect(refused.length).toBeGreaterThan(50);
    for (const [name, spec] of refused) {
      const e = errors(plugin(`${name}: ${JSON.stringify(otherValue(name))}`));
      expect(e, name).toHaveLength(1);
      expect(e[0], name).toContain(`field ${name} of openid-connect is not supported by Sluice`);
      expect(errors(plugin(`${name}: null`)), name).toEqual([]);
      if (spec.kongDefault !== undefined) expect(errors(plugin(`${name}: ${JSON.stringify(spec.kongDefault)}`)), name).toEqual([]);
    }
  });

  it('refuses values of implemented fields that Sluice does not support', () => {
    expect(errors(plugin('session_storage: redis'))[0]).toContain('this value of field session_storage of openid-connect is not supported by Sluice');
    expect(errors(plugin('client_auth: [private_key_jwt]'))[0]).toContain('field client_auth of openid-connect is not supported by Sluice');
    expect(errors(plugin('login_action: response'))[0]).toContain('field login_action of openid-connect is not supported by Sluice');
    expect(errors(plugin('session_storage: cookie', 'client_auth: [client_secret_post]', 'login_action: upstream'))).toEqual([]);
  });

  it('accepts every field the issue names, with the values of Kong\'s examples', () => {
    expect(errors(plugin(
      'bearer_token_param_type: [header, query, body]',
      'client_credentials_param_type: [header, query, body]',
      'id_token_param_type: [header, query, body]',
      'id_token_param_name: x-id-token',
      'authenticated_groups_claim: ["cognito:groups"]',
      'groups_claim: ["cognito:groups"]',
      'groups_required: [admins]',
      'roles_claim: [roles]',
      'roles_required: [admin]',
      'scopes_claim: [scope]',
      'audience_claim: [aud]',
      'audience: [https://api.example.com]',
      'verify_claims: true',
      'verify_signature: true',
      'ssl_verify: false',
      'unauthorized_error_message: Unauthorized',
      'forbidden_error_message: Forbidden',
      'upstream_access_token_header: authorization:bearer',
      'upstream_id_token_header: x-id-token',
      'upstream_user_info_header: x-userinfo',
      'session_rolling_timeout: 3600',
      'session_idling_timeout: 900',
      'session_absolute_timeout: 86400',
      'login_action: upstream',
      'login_tokens: [id_token]',
      'login_redirect_mode: fragment',
      'auth_methods: [password, refresh_token, userinfo, introspection, kong_oauth2, bearer, client_credentials, session, authorization_code]',
    ))).toEqual([]);
    // The dev-portal example's login_* fields with other values are refused, by name.
    expect(errors(plugin('login_redirect_uri: [https://portal.example.com]'))[0]).toContain('field login_redirect_uri of openid-connect is not supported by Sluice');
    expect(errors(plugin('forbidden_redirect_uri: [https://portal.example.com/403]'))).toEqual([]);
  });

  it('loads a configuration that sets every field to Kong\'s default (an exported kong.yml)', () => {
    const lines: string[] = [];
    for (const name of KONG_FIELDS) {
      if (name === 'issuer') continue;
      const p = schema.properties[name]!;
      const d = FIELDS[name]!.kongDefault ?? p.default;
      lines.push(`${name}: ${d === undefined ? 'null' : JSON.stringify(d)}`);
    }
    expect(errors(plugin(...lines))).toEqual([]);
  });

  it('blank values as Kong: auth_methods [] or null is every flow, client_secret [] is none', () => {
    const conf = (...lines: string[]) => resolveConf(config(plugin(...lines)).plugins[0]!.config);
    expect(conf('auth_methods: []').methods.size).toBe(9);
    expect(conf('auth_methods: null').methods.size).toBe(9);
    expect(conf('auth_methods: [bearer]').methods).toEqual(new Set(['bearer']));
    expect(conf('client_secret: []', 'client_id: []')).toMatchObject({ client_secret: null, client_id: null });
    expect(conf('bearer_token_param_type: null', 'groups_claim: null')).toMatchObject({ bearer_token_param_type: new Set(['header', 'query']), groups_claim: ['groups'] });
  });
});
