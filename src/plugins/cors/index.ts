import type { PluginConfigProblem, PluginContext, PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';
import { regexSafetyProblem } from '../../router/paths.js';

interface Conf {
  origins: string[] | null;
  methods: string[] | null;
  headers: string[] | null;
  exposed_headers: string[] | null;
  credentials: boolean;
  max_age: number | null;
  preflight_continue: boolean;
  private_network: boolean;
  allow_origin_absent: boolean;
}

const ALL_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT';
const LITERAL = /^[A-Za-z0-9.:/-]+$/;
const ACAO = 'Access-Control-Allow-Origin';
const ACAC = 'Access-Control-Allow-Credentials';

interface Normalized {
  domain: string;
  host: string;
}

/** scheme://host[:port] without default ports (Kong's normalize_origin); unparsable: as is. */
function normalizeOrigin(origin: string): Normalized {
  try {
    const u = new URL(origin);
    if (u.host === '') return { domain: origin, host: origin };
    return { domain: `${u.protocol}//${u.host}`, host: u.hostname };
  } catch {
    return { domain: origin, host: origin };
  }
}

/** Kong's origin regex: leading ^ dropped, $ appended unless present, matched anchored at the start. */
function originRegex(entry: string): RegExp {
  let e = entry.endsWith('$') ? entry : entry + '$';
  if (e.startsWith('^')) e = e.slice(1);
  return new RegExp('^(?:' + e + ')');
}

function check(config: Record<string, unknown>): PluginConfigProblem[] {
  const c = config as unknown as Conf;
  const out: PluginConfigProblem[] = [];
  (c.origins ?? []).forEach((o, i) => {
    if (o === '*' || LITERAL.test(o)) return;
    try {
      originRegex(o);
    } catch (e) {
      out.push({ path: ['origins', i], message: `"${o}" is not a valid regular expression: ${(e as Error).message}` });
      return;
    }
    const p = regexSafetyProblem(o);
    if (p !== null) out.push({ path: ['origins', i], message: `"${o}" is unsafe (catastrophic backtracking): ${p}` });
  });
  return out;
}

/**
 * cors (Kong priority 2000). The access phase answers preflights (OPTIONS with Origin and
 * Access-Control-Request-Method) with 200 and the Access-Control-* headers, as Kong 3.x; the
 * header phase adds Access-Control-Allow-Origin / -Credentials / -Expose-Headers and
 * `Vary: Origin` to every other response, replacing any the upstream sent.
 */
export const cors: PluginDefinition = {
  name: 'cors',
  priority: 2000,
  schema: pluginSchema('cors'),
  check,
  create(instance) {
    const conf = instance.config as unknown as Conf;
    const origins = conf.origins ?? [];
    const allowAll = origins.length === 0 || (origins.length === 1 && origins[0] === '*');
    const single = origins.length === 1 && LITERAL.test(origins[0]!) ? origins[0]! : null;
    const starListed = origins.includes('*');
    const exact = new Set<string>();
    const regexes: Array<{ re: RegExp; byHost: boolean }> = [];
    for (const o of origins) {
      if (o === '*') continue;
      if (LITERAL.test(o)) exact.add(normalizeOrigin(o).domain);
      else regexes.push({ re: originRegex(o), byHost: !o.includes(':') });
    }
    const methods = conf.methods !== null && conf.methods.length > 0 ? conf.methods.join(',') : ALL_METHODS;
    const allowHeaders = conf.headers !== null && conf.headers.length > 0 ? conf.headers.join(',') : null;
    const exposed = conf.exposed_headers !== null && conf.exposed_headers.length > 0 ? conf.exposed_headers.join(',') : null;
    const maxAge = conf.max_age !== null ? String(conf.max_age) : null;
    const normalizedCache = new Map<string, Normalized>();

    const normalized = (origin: string): Normalized => {
      let n = normalizedCache.get(origin);
      if (n === undefined) {
        n = normalizeOrigin(origin);
        if (normalizedCache.size >= 10_000) normalizedCache.clear();
        normalizedCache.set(origin, n);
      }
      return n;
    };

    /**
     * Kong's configure_origin + configure_credentials: fills `out` with the headers to set (a
     * value null = remove the upstream's); returns whether Vary: Origin is added.
     */
    const originHeaders = (origin: string | undefined, out: Record<string, string | null>): boolean => {
      let all = allowAll;
      let vary = false;
      if (allowAll) out[ACAO] = '*';
      else {
        vary = true;
        if (single !== null) out[ACAO] = single;
        else if (origin !== undefined) {
          const n = normalized(origin);
          let found = starListed;
          if (!found && exact.has(n.domain)) found = true;
          for (let i = 0; !found && i < regexes.length; i++) found = regexes[i]!.re.test(regexes[i]!.byHost ? n.host : n.domain);
          if (starListed) {
            out[ACAO] = '*';
            all = true;
          } else out[ACAO] = found ? n.domain : null;
        } else out[ACAO] = null;
      }
      if (!conf.credentials) return vary;
      if (!all) out[ACAC] = 'true';
      else if (origin !== undefined) {
        vary = true;
        out[ACAO] = origin;
        out[ACAC] = 'true';
      }
      return vary;
    };

    const isPreflight = (req: PluginContext): boolean =>
      req.method === 'OPTIONS' && req.header('origin') !== undefined && req.header('access-control-request-method') !== undefined;

    return {
      access(req) {
        if (!isPreflight(req) || conf.preflight_continue) return;
        const found: Record<string, string | null> = {};
        const headers: Record<string, string> = {};
        if (originHeaders(req.header('origin'), found)) headers.Vary = 'Origin';
        for (const k in found) if (found[k] !== null) headers[k] = found[k]!;
        const acrh = req.header('access-control-request-headers');
        if (allowHeaders !== null) headers['Access-Control-Allow-Headers'] = allowHeaders;
        else if (acrh !== undefined) headers['Access-Control-Allow-Headers'] = acrh;
        headers['Access-Control-Allow-Methods'] = methods;
        if (maxAge !== null) headers['Access-Control-Max-Age'] = maxAge;
        if (conf.private_network && req.header('access-control-request-private-network') === 'true') headers['Access-Control-Allow-Private-Network'] = 'true';
        const answer: PluginResponse = { status: 200, body: '', headers };
        return answer;
      },
      header(req) {
        if (isPreflight(req)) return; // answered above, or proxied untouched (preflight_continue)
        const origin = req.header('origin');
        if (origin === undefined && !conf.allow_origin_absent) return;
        const found: Record<string, string | null> = {};
        if (originHeaders(origin, found)) req.addResponseHeader('Vary', 'Origin');
        for (const name in found) {
          req.removeResponseHeader(name);
          const value = found[name];
          if (value !== null && value !== undefined) req.addResponseHeader(name, value);
        }
        if (exposed !== null) {
          req.removeResponseHeader('Access-Control-Expose-Headers');
          req.addResponseHeader('Access-Control-Expose-Headers', exposed);
        }
      },
    };
  },
};
