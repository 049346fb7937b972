import type { PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';

interface AclConfig {
  allow?: string[] | null;
  deny?: string[] | null;
  hide_groups_header: boolean;
  include_consumer_groups: boolean;
  always_use_authenticated_groups: boolean;
}

const FORBIDDEN: PluginResponse = { status: 403, message: 'You cannot consume this service' };
const UNAUTHORIZED: PluginResponse = { status: 401, message: 'Unauthorized' };

/**
 * acl (Kong priority 950). At compile time each consumer's verdict for this instance is computed
 * once (allow/deny as a Set, the consumer's groups from its acls and, with
 * include_consumer_groups, its consumer groups), so a request costs one Map lookup. The anonymous
 * consumer is checked like any other (Kong does the same). 401 when no consumer at all.
 */
export const acl: PluginDefinition = {
  name: 'acl',
  priority: 950,
  schema: pluginSchema('acl'),
  check(config) {
    const allow = config.allow ?? null;
    const deny = config.deny ?? null;
    if (allow !== null && deny !== null) return [{ path: ['deny'], message: 'cannot be set together with allow: set only one of allow or deny' }];
    if (allow === null && deny === null) return [{ path: [], message: 'must set either allow or deny' }];
    return [];
  },
  create(instance, ctx) {
    const conf = instance.config as unknown as AclConfig;
    const allow = conf.allow != null ? new Set(conf.allow) : null;
    const deny = conf.deny != null ? new Set(conf.deny) : null;
    const groupsOf = new Map<string, string[]>();
    for (const c of ctx.config.consumers) groupsOf.set(c.id, conf.include_consumer_groups ? [...c.groups] : []);
    for (const a of ctx.config.acls) groupsOf.get(a.consumer)?.push(a.group);
    const blocked = new Set<string>();
    for (const [id, groups] of groupsOf) {
      const isBlocked = allow !== null ? !groups.some((g) => allow.has(g)) : groups.some((g) => deny!.has(g));
      if (isBlocked) blocked.add(id);
    }
    const hide = conf.hide_groups_header;
    return {
      access(req) {
        const consumer = req.consumer;
        // Kong: authenticated groups (openid-connect's authenticated_groups_claim) count when
        // there is no consumer, or always with always_use_authenticated_groups.
        const authenticated = req.authenticatedGroups;
        if (authenticated != null && (consumer === null || conf.always_use_authenticated_groups)) {
          if (allow !== null ? !authenticated.some((g) => allow.has(g)) : authenticated.some((g) => deny!.has(g))) return FORBIDDEN;
          // As Kong: the groups that let the request through go upstream (unless hide_groups_header).
          if (hide) req.hideConsumerGroups = true;
          else req.setUpstreamHeader('x-authenticated-groups', authenticated.join(', '));
          return;
        }
        if (consumer === null) return UNAUTHORIZED;
        if (blocked.has(consumer.id)) return FORBIDDEN;
        if (hide) req.hideConsumerGroups = true;
      },
    };
  },
};
