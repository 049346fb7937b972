import { parseArgs } from 'node:util';
import type { Config, Route } from '../config/types.js';
import {
  chainJson, chainText, configFileSetting, loadSnapshot, makeScrub, pluginChain, routeLabel, serviceLabel, serviceTargets, serviceUrl, table, touchesSecret, usageHint, writeJson,
} from './output.js';

export const HELP = `Usage: sluice routes [-c FILE] [--json]

Prints the compiled route table in match order: the order in which the router tries routes
(Kong traditional_compatible priority, SPEC §3), one row per route:
  #  NAME  METHODS  HOSTS  PATHS  HEADERS  SERVICE → UPSTREAM  STRIP  PLUGINS
"*" means "any". PLUGINS is the chain that applies to the route by scope, in execution order
(Kong plugin priority); a plugin that applies only to some consumer is marked "(consumer NAME)".
Routes of disabled services are not served and are listed after the table.

Options:
  -c, --config FILE   configuration file (default $SLUICE_CONFIG, else ./gateway.yaml)
  --json              print JSON instead:
                      {"file",
                       "routes": [{"priority", "id", "name", "methods", "hosts", "paths", "headers",
                                   "snis", "protocols", "strip_path", "preserve_host",
                                   "regex_priority", "path_handling",
                                   "service": name | null, "upstream_url": string | null,
                                   "targets": [{"target", "weight", "share"}],
                                   "plugins": [{"name", "priority", "scope", "consumer",
                                                "consumer_group", "id"}]}],
                       "not_served": [{"id", "name", "reason"}]}
                      An invalid file prints {"valid": false, "file", "errors", "warnings"}.
  --offline         check {vault://...} references' syntax, resolve none: CI needs no secret
                    (a value behind a reference is not checked)
  -h, --help          this help

Exit status: 0 ok, 1 invalid configuration, 2 usage error.
`;

const any = (xs: readonly string[]): string => (xs.length === 0 ? '*' : xs.join(','));

/** Route headers with secret values (from vault references) redacted. */
function headersOf(config: Config, route: Route): Record<string, string[]> {
  const i = config.routes.indexOf(route);
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(route.headers)) out[k] = touchesSecret(config, ['routes', i, 'headers', k]) ? ['<redacted>'] : v;
  return out;
}

function headersText(config: Config, route: Route): string {
  const entries = Object.entries(headersOf(config, route));
  return entries.length === 0 ? '*' : entries.map(([k, v]) => `${k}=${v.join('|')}`).join(' ');
}

function upstreamOf(config: Config, route: Route): { service: string | null; url: string | null; targets: ReturnType<typeof serviceTargets> } {
  const service = route.service === null ? undefined : config.services.find((s) => s.id === route.service);
  if (service === undefined) return { service: null, url: null, targets: [] };
  return { service: serviceLabel(service), url: serviceUrl(config, service), targets: serviceTargets(config, service) };
}

export async function run(argv: string[]): Promise<number> {
  let values: { config?: string; json?: boolean; offline?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, offline: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`sluice routes: ${(err as Error).message}\n${usageHint(HELP, 'routes')}`);
    return 2;
  }
  const file = configFileSetting(values.config);
  const loaded = await loadSnapshot(file, values.json === true, 'routes', values.offline === true);
  if (loaded === null) return 1;
  const { config, snapshot } = loaded;
  const scrub = makeScrub(config);
  const ordered = snapshot.router.ordered();
  const served = new Set(ordered);
  const notServed = config.routes.filter((r) => !served.has(r)).map((r) => ({ id: r.id, name: r.name, reason: 'service disabled' }));

  if (values.json) {
    writeJson({
      file,
      routes: ordered.map((r, i) => {
        const up = upstreamOf(config, r);
        return {
          priority: i + 1, id: r.id, name: r.name, methods: r.methods, hosts: r.hosts, paths: r.paths, headers: headersOf(config, r), snis: r.snis,
          protocols: r.protocols, strip_path: r.strip_path, preserve_host: r.preserve_host, regex_priority: r.regex_priority,
          path_handling: r.path_handling, service: up.service, upstream_url: up.url, targets: up.targets, plugins: chainJson(pluginChain(config, snapshot.routes[i]!.chain)),
        };
      }),
      not_served: notServed,
    }, scrub);
    return 0;
  }

  const rows: string[][] = [['#', 'NAME', 'METHODS', 'HOSTS', 'PATHS', 'HEADERS', 'SERVICE → UPSTREAM', 'STRIP', 'PLUGINS']];
  ordered.forEach((r, i) => {
    const up = upstreamOf(config, r);
    const target = up.service === null ? '-' : `${up.service} → ${up.url}${up.targets.length > 0 ? ` (${up.targets.length} targets)` : ''}`;
    rows.push([String(i + 1), routeLabel(r), any(r.methods), any(r.hosts), any(r.paths), headersText(config, r), target, r.strip_path ? 'yes' : 'no', chainText(pluginChain(config, snapshot.routes[i]!.chain))]);
  });
  let out = table(rows);
  if (ordered.length === 0) out += '(no routes)\n';
  for (const n of notServed) out += `not served: route ${n.name ?? n.id} (${n.reason})\n`;
  process.stdout.write(scrub(out));
  return 0;
}
