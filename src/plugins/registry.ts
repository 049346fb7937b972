import { activeCatalogue } from './catalogue.js';
import type { PluginDefinition } from './types.js';

/** Every plugin name SPEC.md §5 lists. A name here without a definition is "not supported" yet. */
export const SPEC_PLUGIN_NAMES: readonly string[] = [
  'key-auth', 'basic-auth', 'jwt', 'hmac-auth', 'openid-connect', 'oauth2-introspection', 'forward-auth',
  'acl', 'cors', 'ip-restriction', 'bot-detection', 'request-size-limiting', 'request-validator',
  'rate-limiting', 'throttling', 'proxy-cache', 'request-termination',
  'request-transformer', 'response-transformer', 'correlation-id',
  'prometheus', 'file-log', 'http-log', 'tcp-log', 'udp-log', 'syslog', 'opentelemetry',
];

/** The plugin of that name in the active catalogue (bundled or custom), or undefined ("plugin X is not supported"). */
export function getPluginDefinition(name: string): PluginDefinition | undefined {
  return activeCatalogue().get(name);
}

export function pluginDefinitions(): readonly PluginDefinition[] {
  return activeCatalogue().definitions;
}
