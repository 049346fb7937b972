import { parseArgs } from 'node:util';
import type { Config, Service } from '../config/types.js';
import { normalizePath } from '../router/normalize.js';
import type { MatchInput, RouteMatch } from '../router/types.js';
import type { Snapshot } from '../snapshot/types.js';
import {
  chainJson, chainText, configFileSetting, loadSnapshot, makeScrub, pluginChain, routeLabel, serviceHost, serviceLabel, serviceTargets, serviceUrl, table, usageHint, writeJson,
} from './output.js';

export const HELP = `Usage: sluice explain [-c FILE] [--json] METHOD URL [-H 'Name: value']...

Shows how the gateway would route one request: which route matches and why, why each route
tried before it did not, the upstream URL it would call (with an upstream's targets and
weights), the headers the gateway sets upstream, path parameters, and the plugins that would run.

URL is http(s)://host[:port]/path?query (ws:// and wss:// imply a WebSocket upgrade), or just
/path?query. The Host header (-H 'Host: ...') overrides the URL's host; the port the request
arrived on is the URL's (default 80, 443 for https/wss, 8000 for a bare /path).

Options:
  -c, --config FILE        configuration file (default $SLUICE_CONFIG, else ./gateway.yaml)
  -H, --header 'N: v'      request header (repeatable); 'Upgrade: websocket' makes it an upgrade
  --json                   print JSON instead:
                           {"request": {"method", "host", "port", "path", "query", "sni", "upgrade"},
                            "matched": bool,
                            "route": {"id", "name", "priority", "matched_path"} | null,
                            "response": {"status", "message"} | null   (gateway answers itself),
                            "params": {name: value} | null,
                            "service": name | null,
                            "upstream": {"url", "targets": [{"target", "weight", "share"}]} | null,
                            "headers": {name: value}   (set by the gateway upstream),
                            "plugins": [{"name", "priority", "scope", "consumer", "consumer_group", "id"}],
                            "steps": [{"priority", "route", "id", "matched", "reason"}]}
                           An invalid file prints {"valid": false, "file", "errors", "warnings"}.
  --offline              check {vault://...} references' syntax, resolve none: CI needs no secret
                         (a value behind a reference is not checked)
  -h, --help               this help

Exit status: 0 a route matches, 3 no route matches (the gateway answers 404), 1 invalid
configuration, 2 usage error.
`;

class UsageError extends Error {}

interface Request {
  method: string;
  scheme: 'http' | 'https' | 'ws' | 'wss';
  host: string;
  port: number;
  rawPath: string;
  query: string;
  headers: Record<string, string>;
}

function parseRequest(method: string, url: string, headerArgs: readonly string[]): Request {
  if (!/^[A-Za-z]+$/.test(method)) throw new UsageError(`"${method}" is not an HTTP method`);
  const headers: Record<string, string> = {};
  for (const h of headerArgs) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`header "${h}" is not 'Name: value'`);
    const name = h.slice(0, i).trim().toLowerCase();
    const value = h.slice(i + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let scheme: Request['scheme'] = 'http';
  let authority = '';
  let rest = url;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(url);
  if (m) {
    const s = m[1]!.toLowerCase();
    if (s !== 'http' && s !== 'https' && s !== 'ws' && s !== 'wss') throw new UsageError(`unsupported URL scheme "${s}" (http, https, ws, wss)`);
    scheme = s;
    authority = m[2]!.replace(/^.*@/, '').toLowerCase();
    rest = m[3]!;
  } else if (!url.startsWith('/')) {
    throw new UsageError(`"${url}" is not a URL (http://host/path) or a path (/path)`);
  }
  rest = rest.replace(/#.*$/, '');
  const q = rest.indexOf('?');
  const rawPath = (q === -1 ? rest : rest.slice(0, q)) || '/';
  const query = q === -1 ? '' : rest.slice(q + 1);
  const secure = scheme === 'https' || scheme === 'wss';
  const portMatch = /:(\d+)$/.exec(authority);
  const port = portMatch ? Number(portMatch[1]) : m ? (secure ? 443 : 80) : 8000;
  const host = headers.host !== undefined ? headers.host.toLowerCase() : authority;
  if (headers.host === undefined && authority !== '') headers.host = authority;
  return { method: method.toUpperCase(), scheme, host, port, rawPath, query, headers };
}

const hostName = (h: string): string => (h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d+$/, ''));

interface Outcome {
  status: number | null;
  message: string | null;
}

/** What the proxy does with a match (src/proxy/http.ts): protocol checks and a missing service. */
function outcome(snapshot: Snapshot, match: RouteMatch, secure: boolean): Outcome {
  const rt = snapshot.routes[match.index];
  if (rt === undefined) return { status: null, message: null };
  if (secure ? !rt.allowsHttps : !rt.allowsHttp) {
    if (!secure && rt.allowsHttps) {
      const code = rt.route.https_redirect_status_code;
      return { status: code, message: code === 426 ? 'Please use HTTPS protocol' : 'redirect to the https URL' };
    }
    return { status: 404, message: 'no Route matched with those values (the route does not accept this protocol)' };
  }
  if (rt.service === null) return rt.route.service === null ? { status: 503, message: 'no Service found with those values' } : { status: 502, message: 'Service unavailable' };
  return { status: null, message: null };
}

function upstreamHeaders(req: Request, match: RouteMatch, config: Config, service: Service | undefined, snapshot: Snapshot): Record<string, string> {
  const secure = req.scheme === 'https' || req.scheme === 'wss';
  const h: Record<string, string> = {};
  const clientHost = req.headers.host ?? '';
  if (match.route.preserve_host && clientHost !== '') h.host = clientHost;
  else if (service !== undefined) {
    const peers = snapshot.services.get(service.id)?.balancer.peers ?? [];
    const hostSecret = serviceHost(config, service) === '<redacted>';
    h.host = hostSecret ? '<redacted>' : peers.length === 1 ? peers[0]!.hostHeader : peers.length > 1 ? '(the chosen target, e.g. ' + peers[0]!.hostHeader + ')' : service.host;
  }
  h['x-forwarded-for'] = '(client address)';
  h['x-forwarded-proto'] = secure ? 'https' : 'http';
  if (clientHost !== '') h['x-forwarded-host'] = hostName(clientHost);
  h['x-forwarded-port'] = String(req.port);
  h['x-forwarded-path'] = req.rawPath;
  if (match.strippedPrefix !== null) h['x-forwarded-prefix'] = match.strippedPrefix;
  h['x-real-ip'] = '(client address)';
  h.via = '1.1 sluice';
  return h;
}

export async function run(argv: string[]): Promise<number> {
  let values: { config?: string; json?: boolean; header?: string[]; offline?: boolean };
  let positionals: string[];
  let req: Request;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, header: { type: 'string', short: 'H', multiple: true }, offline: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    }));
    if (positionals.length !== 2) throw new UsageError(positionals.length < 2 ? 'METHOD and URL are required' : `unexpected argument "${positionals[2]}"`);
    req = parseRequest(positionals[0]!, positionals[1]!, values.header ?? []);
  } catch (err) {
    process.stderr.write(`sluice explain: ${(err as Error).message}\n${usageHint(HELP, 'explain')}`);
    return 2;
  }
  const json = values.json === true;
  const file = configFileSetting(values.config);
  const loaded = await loadSnapshot(file, json, 'explain', values.offline === true);
  if (loaded === null) return 1;
  const { config, snapshot } = loaded;
  const scrub = makeScrub(config);
  const print = (text: string): void => void process.stdout.write(scrub(text));

  const secure = req.scheme === 'https' || req.scheme === 'wss';
  const upgrade = req.scheme === 'ws' || req.scheme === 'wss' || (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
  const path = normalizePath(req.rawPath);
  const requestJson = { method: req.method, host: req.host, port: req.port, path: path ?? req.rawPath, query: req.query, sni: secure ? hostName(req.host) || null : null, upgrade };

  if (path === null) {
    const message = `path ${req.rawPath} is refused before routing (400 Bad request: invalid path)`;
    if (json) writeJson({ request: requestJson, matched: false, route: null, response: { status: 400, message: 'Bad request: invalid path' }, params: null, service: null, upstream: null, headers: {}, plugins: [], steps: [] }, scrub);
    else print(`${req.method} ${req.rawPath}\n${message}\n`);
    return 3;
  }

  const input: MatchInput = { method: req.method, host: req.host, port: req.port, path, headers: req.headers, sni: requestJson.sni, upgrade };
  const { match, steps } = snapshot.router.explain(input);
  const ordered = snapshot.router.ordered();
  const priorityOf = new Map(ordered.map((r, i) => [r, i + 1]));
  const stepJson = steps.map((s) => ({ priority: priorityOf.get(s.route) ?? null, route: routeLabel(s.route), id: s.route.id, matched: s.matched, reason: s.reason }));

  const result = match === null ? null : outcome(snapshot, match, secure);
  const matched = match !== null && (result === null || result.status !== 404);
  /** The gateway answers this request itself (https redirect, no service): nothing goes upstream. */
  const answered = result !== null && result.status !== null;
  const service = match?.route.service == null ? undefined : config.services.find((s) => s.id === match.route.service);
  // A ws/wss service is called over http/https for a plain request (src/snapshot/compile.ts).
  const via = service === undefined || upgrade ? service : { ...service, protocol: service.protocol === 'wss' ? 'https' as const : service.protocol === 'ws' ? 'http' as const : service.protocol };
  const upstreamUrl = match !== null && via !== undefined && !answered
    ? serviceUrl(config, via, match.upstreamPath + (req.query === '' ? '' : '?' + req.query))
    : null;
  const targets = service !== undefined && !answered ? serviceTargets(config, service) : [];
  const headers = match !== null && matched && !answered ? upstreamHeaders(req, match, config, service, snapshot) : {};
  const chain = match !== null && matched ? pluginChain(config, snapshot.routes[match.index]!.chain) : [];

  if (json) {
    writeJson({
      request: requestJson,
      matched,
      route: match === null ? null : { id: match.route.id, name: match.route.name, priority: priorityOf.get(match.route) ?? null, matched_path: match.matchedPath },
      response: result !== null && result.status !== null ? { status: result.status, message: result.message } : match === null ? { status: 404, message: 'no Route matched with those values' } : null,
      params: match?.params ?? null,
      service: service === undefined ? null : serviceLabel(service),
      upstream: upstreamUrl === null ? null : { url: upstreamUrl, targets },
      headers,
      plugins: chainJson(chain),
      steps: stepJson,
    }, scrub);
    return matched ? 0 : 3;
  }

  let out = `${req.method} ${path}${req.query === '' ? '' : '?' + req.query}  host=${req.host || '(none)'} port=${req.port}${requestJson.sni !== null ? ` sni=${requestJson.sni}` : ''}${upgrade ? ' upgrade=websocket' : ''}\n\n`;
  out += 'Routes in match order:\n';
  out += table(stepJson.map((s) => [`  ${s.matched ? '✓' : '✗'}`, `#${s.priority ?? '-'}`, s.route, s.reason]));
  out += '\n';
  if (match === null) {
    out += 'No route matches: the gateway answers 404 {"message":"no Route matched with those values"}\n';
    print(out);
    return 3;
  }
  out += `Matched route ${routeLabel(match.route)} (#${priorityOf.get(match.route) ?? '-'})${match.matchedPath !== null ? ` by path ${match.matchedPath}` : ''}\n`;
  if (result !== null && result.status !== null) out += `The gateway answers ${result.status}: ${result.message}\n`;
  if (!matched || answered) {
    print(out);
    return matched ? 0 : 3;
  }
  const rows: string[][] = [];
  if (match.params !== null) rows.push(['params', Object.entries(match.params).map(([k, v]) => `${k}=${v}`).join(' ')]);
  rows.push(['service', service === undefined ? '-' : serviceLabel(service)]);
  if (upstreamUrl !== null) rows.push(['upstream', upstreamUrl]);
  for (const t of targets) rows.push(['  target', `${t.target}  weight ${t.weight} (${t.share})`]);
  rows.push(['strip_path', `${match.route.strip_path ? 'yes' : 'no'}${match.strippedPrefix !== null ? ` (removed ${match.strippedPrefix})` : ''}`]);
  rows.push(['plugins', chainText(chain)]);
  out += table(rows);
  if (Object.keys(headers).length > 0) {
    out += '\nHeaders set upstream:\n';
    const title = (k: string): string => (k === 'x-real-ip' ? 'X-Real-IP' : k.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase()));
    out += table(Object.entries(headers).map(([k, v]) => [`  ${title(k)}:`, v]));
  }
  print(out);
  return 0;
}
