import type { PluginDefinition } from './types.js';
import { PLUGINS as AUTH } from './groups/auth.js';
import { PLUGINS as TRAFFIC } from './groups/traffic.js';
import { PLUGINS as TRANSFORM } from './groups/transform.js';
import { PLUGINS as OBSERVABILITY } from './groups/observability.js';

/** Every plugin name SPEC.md §5 lists. A name here without a definition is "not supported" yet. */
export const SPEC_PLUGIN_NAMES: readonly string[] = [
  'key-auth', 'basic-auth', 'jwt', 'hmac-auth', 'openid-connect', 'oauth2-introspection', 'forward-auth',
  'acl', 'cors', 'ip-restriction', 'bot-detection', 'request-size-limiting', 'request-validator',
  'rate-limiting', 'throttling', 'proxy-cache', 'request-termination',
  'request-transformer', 'response-transformer', 'correlation-id',
  'prometheus', 'file-log', 'http-log', 'tcp-log', 'udp-log', 'syslog', 'opentelemetry',
];

/** Implemented plugins: each group file lists its own (src/plugins/groups/). */
const DEFINITIONS: PluginDefinition[] = [...AUTH, ...TRAFFIC, ...TRANSFORM, ...OBSERVABILITY];

const byName = new Map<string, PluginDefinition>(DEFINITIONS.map((d) => [d.name, d]));

/** The implemented plugin of that name, or undefined ("plugin X is not supported"). */
export function getPluginDefinition(name: string): PluginDefinition | undefined {
  return byName.get(name);
}

export function pluginDefinitions(): readonly PluginDefinition[] {
  return DEFINITIONS;
}
