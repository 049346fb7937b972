/**
 * Fields that are accepted and do nothing, each with the reason it cannot apply to Sluice
 * (SPEC §3: every field works, is a documented no-op, or is refused). README's "Fields that do
 * nothing" table is this list; test/unit/config/schema-fields.test.ts fails on a schema field
 * that is neither used by the code nor listed here (or refused by its schema or plugin check).
 * openid-connect's fields are classified in src/plugins/openid-connect/fields.ts.
 *
 * `where`: an entity definition of schemas/gateway.schema.json (`*` = every entity that has the
 * field), or `plugin:<name>` for schemas/plugins/<name>.json. Nested fields are dotted.
 */
export interface NoOp {
  where: string;
  fields: readonly string[];
  reason: string;
}

export const NO_OPS: readonly NoOp[] = [
  { where: '*', fields: ['created_at', 'updated_at'], reason: "timestamps of Kong's database, carried by exported files" },
  { where: '*', fields: ['_comment'], reason: 'a comment' },
  { where: 'ca_certificate', fields: ['cert_digest'], reason: 'Kong derives it from `cert`; Sluice reads `cert`' },
  { where: 'upstream', fields: ['use_srv_name'], reason: 'Sluice resolves targets with the system resolver and never looks up DNS SRV records' },
  { where: 'upstream', fields: ['hash_on_query_arg', 'hash_fallback_query_arg', 'hash_on_uri_capture', 'hash_fallback_uri_capture'], reason: 'they go with `hash_on` values (`query_arg`, `uri_capture`) that Sluice refuses' },
  { where: 'oauth2', fields: ['*'], reason: "credentials of Kong's oauth2 plugin, which Sluice does not have (the plugin is refused)" },
  { where: 'oauth2_nested', fields: ['*'], reason: "credentials of Kong's oauth2 plugin, which Sluice does not have (the plugin is refused)" },
  { where: 'plugin', fields: ['instance_name'], reason: "a name for Kong's admin API; it tells two instances of a plugin apart in Sluice's ids too, and nothing in a request depends on it" },
  { where: 'service_plugin', fields: ['instance_name'], reason: "a name for Kong's admin API (as for top-level plugins)" },
  { where: 'route_plugin', fields: ['instance_name'], reason: "a name for Kong's admin API (as for top-level plugins)" },
  { where: 'consumer_plugin', fields: ['instance_name'], reason: "a name for Kong's admin API (as for top-level plugins)" },
  { where: 'consumer', fields: ['oauth2_credentials'], reason: "credentials of Kong's oauth2 plugin, which Sluice does not have (the plugin is refused)" },
  { where: 'plugin:http-log', fields: ['retry_count'], reason: 'deprecated and ignored by Kong 3 too (`queue.max_retry_time` bounds retries)' },
  { where: 'plugin:http-log', fields: ['queue.max_bytes'], reason: "Kong applies it only to queues of strings; this plugin's entries are not (the queue is bounded by `queue.max_entries`)" },
  { where: 'plugin:opentelemetry', fields: ['queue.max_bytes'], reason: "Kong applies it only to queues of strings; spans are not (the queue is bounded by `queue.max_entries`)" },
  { where: 'plugin:oauth2-introspection', fields: ['keepalive'], reason: "a tuning knob of Kong's HTTP client; Sluice's client keeps connections to the endpoint alive itself" },
  { where: 'plugin:opentelemetry', fields: ['send_timeout'], reason: 'Sluice\'s HTTP client has no separate send timeout: an export is bounded by connect_timeout and read_timeout' },
  { where: 'plugin:proxy-cache', fields: ['memory.dictionary_name'], reason: "the name of an nginx shared dictionary; Sluice keeps entries in each worker's memory" },
  { where: 'plugin:prometheus', fields: ['ai_metrics'], reason: 'Sluice has no AI proxy, so there are no AI metrics' },
  { where: 'plugin:rate-limiting', fields: ['sync_rate'], reason: 'Sluice always counts synchronously (what Kong does with its default, -1)' },
];

/**
 * Fields accepted only at a value that means "off" (their schema says `const`, or the plugin's
 * check refuses other values with "not supported by Sluice").
 */
export const REFUSED: readonly NoOp[] = [
  { where: 'route', fields: ['sources', 'destinations'], reason: 'stream-route fields: only empty (src/config/refused.ts)' },
  { where: 'nested_route', fields: ['sources', 'destinations'], reason: 'stream-route fields: only empty (src/config/refused.ts)' },
  { where: 'keyauth', fields: ['ttl'], reason: 'a key expiring after its creation in Kong\'s database: only 0 (src/config/refused.ts)' },
  { where: 'keyauth_nested', fields: ['ttl'], reason: 'a key expiring after its creation in Kong\'s database: only 0 (src/config/refused.ts)' },
  { where: 'plugin:key-auth', fields: ['key_in_body'], reason: 'bodies are streamed, not parsed: only false' },
  { where: 'plugin:file-log', fields: ['custom_fields_by_lua'], reason: 'Sluice runs no Lua: only empty' },
  { where: 'plugin:http-log', fields: ['custom_fields_by_lua'], reason: 'Sluice runs no Lua: only empty' },
  { where: 'plugin:syslog', fields: ['custom_fields_by_lua'], reason: 'Sluice runs no Lua: only empty' },
  { where: 'plugin:tcp-log', fields: ['custom_fields_by_lua'], reason: 'Sluice runs no Lua: only empty' },
  { where: 'plugin:udp-log', fields: ['custom_fields_by_lua'], reason: 'Sluice runs no Lua: only empty' },
];
