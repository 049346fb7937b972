import type { PluginConfigProblem, PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { compileList, contains, parseClient, type CompiledList } from './cidr.js';

interface Conf {
  allow: string[] | null;
  deny: string[] | null;
  status: number | null;
  message: string | null;
}

function compiled(list: string[] | null): CompiledList | null {
  if (list === null || list.length === 0) return null;
  const c = compileList(list);
  if ('bad' in c) throw new Error(`ip-restriction: ${c.message}`);
  return c;
}

function check(config: Record<string, unknown>): PluginConfigProblem[] {
  const c = config as unknown as Conf;
  const out: PluginConfigProblem[] = [];
  if ((c.allow ?? []).length === 0 && (c.deny ?? []).length === 0) out.push({ path: [], message: 'must set allow or deny (a non-empty list)' });
  for (const key of ['allow', 'deny'] as const) {
    const list = c[key];
    if (list === null) continue;
    const r = compileList(list);
    if ('bad' in r) out.push({ path: [key, r.bad], message: r.message });
  }
  return out;
}

/**
 * ip-restriction (Kong priority 990). Lists are parsed once into sorted numeric ranges; a request
 * parses the client address once and does a binary search per list.
 */
export const ipRestriction: PluginDefinition = {
  name: 'ip-restriction',
  priority: 990,
  schema: pluginSchema('ip-restriction'),
  check,
  create(instance) {
    const conf = instance.config as unknown as Conf;
    const allow = compiled(conf.allow);
    const deny = compiled(conf.deny);
    const refusal: PluginResponse = { status: conf.status ?? 403, message: conf.message ?? 'Your IP address is not allowed' };
    return {
      access(req) {
        const ip = parseClient(req.clientIp);
        if (deny !== null && contains(deny, ip)) return refusal;
        if (allow !== null && !contains(allow, ip)) return refusal;
      },
    };
  },
};
