import type { PluginConfigProblem, PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { regexSafetyProblem } from '../../router/paths.js';
import { BOT_RULES } from './rules.js';

interface Conf {
  allow: string[] | null;
  deny: string[] | null;
}

const FORBIDDEN: PluginResponse = { status: 403, message: 'Forbidden' };
const CACHE_SIZE = 10_000;
const ALLOW = 1;
const DENY = 2;

function problem(pattern: string): string | null {
  try {
    new RegExp(pattern);
  } catch (e) {
    return `"${pattern}" is not a valid regular expression: ${(e as Error).message}`;
  }
  const p = regexSafetyProblem(pattern);
  return p === null ? null : `"${pattern}" is unsafe (catastrophic backtracking): ${p}`;
}

function check(config: Record<string, unknown>): PluginConfigProblem[] {
  const c = config as unknown as Conf;
  const out: PluginConfigProblem[] = [];
  for (const key of ['allow', 'deny'] as const) {
    (c[key] ?? []).forEach((pattern, i) => {
      const p = problem(pattern);
      if (p !== null) out.push({ path: [key, i], message: p });
    });
  }
  return out;
}

/** One regex that matches when any of the patterns does (one search instead of one per pattern). */
function anyOf(patterns: readonly string[]): RegExp | null {
  return patterns.length === 0 ? null : new RegExp(patterns.map((p) => `(?:${p})`).join('|'));
}

const BOTS = anyOf(BOT_RULES)!;

/**
 * bot-detection (Kong priority 2500). Verdicts are cached per User-Agent (as Kong does), so a
 * regular client's User-Agent is searched once.
 */
export const botDetection: PluginDefinition = {
  name: 'bot-detection',
  priority: 2500,
  schema: pluginSchema('bot-detection'),
  check,
  create(instance) {
    const conf = instance.config as unknown as Conf;
    for (const p of [...(conf.allow ?? []), ...(conf.deny ?? [])]) {
      const bad = problem(p);
      if (bad !== null) throw new Error(`bot-detection: ${bad}`);
    }
    const allow = anyOf(conf.allow ?? []);
    const deny = anyOf(conf.deny ?? []);
    const cache = new Map<string, number>();
    const examine = (ua: string): number => {
      if (allow !== null && allow.test(ua)) return ALLOW;
      if (deny !== null && deny.test(ua)) return DENY;
      return BOTS.test(ua) ? DENY : ALLOW;
    };
    return {
      access(req) {
        const raw = req.header('user-agent');
        if (raw === undefined) return;
        let verdict = cache.get(raw);
        if (verdict === undefined) {
          verdict = examine(raw.trim());
          if (cache.size >= CACHE_SIZE) cache.clear();
          cache.set(raw, verdict);
        }
        if (verdict === DENY) return FORBIDDEN;
      },
    };
  },
};
