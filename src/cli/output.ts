/**
 * Shared helpers of the inspection commands (validate, routes, explain, diff): loading a
 * configuration with its diagnostics, aligned tables, and what a route's upstream and plugin
 * chain look like — always with secrets left out.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatDiagnostic, loadConfigFile } from '../config/index.js';
import type { Config, Diagnostic, PluginInstance, Route, Service } from '../config/types.js';
import type { Chain, ChainEntry as CompiledEntry } from '../plugins/chain.js';
import { compile } from '../snapshot/compile.js';
import type { Snapshot } from '../snapshot/types.js';
import { PoolRegistry } from '../upstream/pool.js';
import { secretAt, secretValues } from '../snapshot/diff.js';

/** The `--offline` option's help text, the same in validate, diff, routes and explain. */
export const OFFLINE_HELP = `  --offline           check the syntax of {vault://...} references without resolving them:
                      CI needs no secret (a value behind a reference is not checked)`;

/** `-c` flag, then `$SLUICE_CONFIG`, then `./gateway.yaml` (SPEC §2). */
export function configFileSetting(flag: string | undefined): string {
  if (flag !== undefined && flag !== '') return flag;
  const env = process.env.SLUICE_CONFIG;
  return env !== undefined && env !== '' ? env : './gateway.yaml';
}

export type CliLoad =
  | { ok: true; file: string; config: Config; warnings: Diagnostic[] }
  | { ok: false; file: string; errors: Diagnostic[]; warnings: Diagnostic[] };

/**
 * Loads FILE as the gateway would. Diagnostics name the file as the user wrote it (not its
 * absolute path), so `FILE:LINE:COL` lines read like the command line that produced them.
 */
export function loadForCli(file: string, opts: { offline?: boolean; uws?: string | null } = {}): CliLoad {
  const abs = resolve(file);
  const at = (message: string): Diagnostic => ({ file, line: 1, column: 1, message, severity: 'error' });
  try {
    if (statSync(abs).isDirectory()) return { ok: false, file, errors: [at('is a directory, not a configuration file')], warnings: [] };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`;
    return { ok: false, file, errors: [at(message)], warnings: [] };
  }
  const rename = (d: Diagnostic): Diagnostic => (d.file === abs ? { ...d, file } : d);
  const r = loadConfigFile(file, { offline: opts.offline === true, uws: opts.uws });
  if (r.ok) return { ok: true, file, config: r.config, warnings: r.warnings.map(rename) };
  return { ok: false, file, errors: r.errors.map(rename), warnings: r.warnings.map(rename) };
}

/** Diagnostics as `FILE:LINE:COL message` lines, errors and warnings in line order. */
export function diagnosticLines(errors: readonly Diagnostic[], warnings: readonly Diagnostic[]): string[] {
  return [...errors, ...warnings].sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : 0)).map(formatDiagnostic);
}

export function diagnosticJson(d: Diagnostic): { file: string; line: number; column: number; severity: string; message: string } {
  return { file: d.file, line: d.line, column: d.column, severity: d.severity, message: d.message };
}

/** After a usage error: the help's Usage line and where to read more. */
export function usageHint(help: string, command: string): string {
  return `${help.split('\n')[0]}\nRun 'sluice ${command} --help' for details.\n`;
}

export function writeJson(value: unknown, scrub: (text: string) => string = (t) => t): void {
  process.stdout.write(scrub(JSON.stringify(value, null, 2)) + '\n');
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Rows as aligned columns (two spaces apart), no trailing spaces: stable in CI logs.
 * Width is counted in code points so `→` does not skew the alignment.
 */
export function table(rows: readonly (readonly string[])[]): string {
  const len = (s: string): number => [...s].length;
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, len(c))));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - len(c)))).join('  ').trimEnd())
    .join('\n') + (rows.length > 0 ? '\n' : '');
}

// ---- secrets ---------------------------------------------------------------------------------

/** True when `path` is, lies inside, or contains a secret (e.g. an array holding a secret). */
export function touchesSecret(config: Config, path: readonly (string | number)[]): boolean {
  return secretAt(config, [...path]);
}

/**
 * A last line of defence for everything printed: replaces every secret value of the given
 * configurations (as is and JSON-escaped) with "<redacted>", in case some message (a router
 * explanation quoting a header value, say) carries one.
 */
export function makeScrub(...configs: Config[]): (text: string) => string {
  const values = new Set<string>();
  for (const c of configs) {
    for (const v of secretValues(c)) {
      values.add(v);
      values.add(JSON.stringify(v).slice(1, -1));
    }
  }
  const list = [...values].sort((a, b) => b.length - a.length);
  return (text) => {
    let t = text;
    for (const v of list) if (t.includes(v)) t = t.split(v).join('<redacted>');
    return t;
  };
}

// ---- services and upstreams ----------------------------------------------------------------

const bracket = (host: string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/** The service's host, or `<redacted>` when it came from a secret (a vault-resolved `url`). */
export function serviceHost(config: Config, service: Service): string {
  const i = config.services.findIndex((s) => s.id === service.id);
  return i >= 0 && touchesSecret(config, ['services', i, 'host']) ? '<redacted>' : bracket(service.host);
}

/**
 * `protocol://host:port` + path (the service's own path when `path` is undefined), or
 * `protocol://<redacted>` when the service's address came from a secret (its path may be a token).
 */
export function serviceUrl(config: Config, service: Service, path?: string): string {
  const host = serviceHost(config, service);
  if (host === '<redacted>') return `${service.protocol}://<redacted>`;
  return `${service.protocol}://${host}:${service.port}${path ?? service.path ?? ''}`;
}

export function serviceLabel(service: Service): string {
  return service.name ?? service.id;
}

export function routeLabel(route: Route): string {
  return route.name ?? route.id;
}

/** Targets of the upstream the service's host names (empty when it names a plain host). */
export function serviceTargets(config: Config, service: Service): Array<{ target: string; weight: number; share: string }> {
  const ups = config.upstreams.find((u) => u.name === service.host);
  if (ups === undefined) return [];
  const total = ups.targets.reduce((s, t) => s + t.weight, 0);
  return ups.targets.map((t) => ({ target: t.target, weight: t.weight, share: total > 0 ? `${Math.round((t.weight / total) * 1000) / 10}%` : '0%' }));
}

// ---- plugin chains ---------------------------------------------------------------------------

export interface ChainEntry {
  name: string;
  priority: number;
  /** Where the configuration that applies comes from: global, service, route, route+service, consumer... */
  scope: string;
  /** Set for plugins that run only for an authenticated consumer (or a member of a group). */
  consumer: string | null;
  consumer_group: string | null;
  plugin: PluginInstance;
}

function scopeOf(p: PluginInstance): string {
  const parts = [p.consumer !== null ? 'consumer' : null, p.consumer_group !== null ? 'consumer_group' : null, p.route !== null ? 'route' : null, p.service !== null ? 'service' : null].filter((x) => x !== null);
  return parts.length === 0 ? 'global' : parts.join('+');
}

/**
 * A route's plugin chain as the proxy runs it: the compiled chain of the snapshot (Kong's
 * precedence and priorities, src/plugins/chain.ts), then the plugins that only run for some
 * consumers (from the per-consumer chains), marked with their consumer or group.
 */
export function pluginChain(config: Config, chain: Chain | null): ChainEntry[] {
  if (chain === null) return [];
  const label = (p: PluginInstance): Pick<ChainEntry, 'consumer' | 'consumer_group'> => ({
    consumer: p.consumer === null ? null : (() => { const c = config.consumers.find((x) => x.id === p.consumer); return c ? c.username ?? c.custom_id ?? c.id : p.consumer; })(),
    consumer_group: p.consumer_group === null ? null : config.consumer_groups.find((g) => g.id === p.consumer_group)?.name ?? p.consumer_group,
  });
  const entry = (e: CompiledEntry): ChainEntry => ({ name: e.name, priority: e.priority, scope: scopeOf(e.instance), ...label(e.instance), plugin: e.instance });
  const out = chain.entries.map(entry);
  const seen = new Set(chain.entries.map((e) => e.instance.id));
  const conditional: ChainEntry[] = [];
  for (const own of chain.byConsumer?.values() ?? []) {
    for (const e of own.entries) {
      if (seen.has(e.instance.id)) continue;
      seen.add(e.instance.id);
      conditional.push(entry(e));
    }
  }
  conditional.sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name) || a.plugin.order - b.plugin.order);
  return [...out, ...conditional];
}

/** `key-auth, acl, rate-limiting (consumer alice)`, or `-` when empty. */
export function chainText(chain: readonly ChainEntry[]): string {
  if (chain.length === 0) return '-';
  return chain
    .map((c) => (c.consumer !== null ? `${c.name} (consumer ${c.consumer})` : c.consumer_group !== null ? `${c.name} (group ${c.consumer_group})` : c.name))
    .join(', ');
}

export function chainJson(chain: readonly ChainEntry[]): Array<{ name: string; priority: number; scope: string; consumer: string | null; consumer_group: string | null; id: string }> {
  return chain.map((c) => ({ name: c.name, priority: c.priority, scope: c.scope, consumer: c.consumer, consumer_group: c.consumer_group, id: c.plugin.id }));
}

// ---- load + compile for routes / explain -----------------------------------------------------

/**
 * Loads and compiles FILE. On failure prints the problems (`FILE:LINE:COL message` on stderr,
 * or `{"valid": false, "file", "errors", "warnings"}` with --json) and returns null.
 * Upstream pools are created lazily by undici and closed right after compiling.
 */
export async function loadSnapshot(file: string, json: boolean, command: string, offline = false): Promise<{ config: Config; snapshot: Snapshot } | null> {
  const r = loadForCli(file, { offline });
  let errors: Diagnostic[] = r.ok ? [] : r.errors;
  let snapshot: Snapshot | null = null;
  if (r.ok) {
    const pools = new PoolRegistry();
    try {
      snapshot = compile(r.config, { pools });
    } catch (e) {
      errors = [{ file, line: 1, column: 1, severity: 'error', message: `compile error: ${(e as Error).message}` }];
    } finally {
      await pools.closeAll();
    }
  }
  if (snapshot !== null && r.ok) {
    if (!json && r.warnings.length > 0) process.stderr.write(diagnosticLines([], r.warnings).join('\n') + '\n');
    return { config: r.config, snapshot };
  }
  if (json) writeJson({ valid: false, file, errors: errors.map(diagnosticJson), warnings: r.warnings.map(diagnosticJson) });
  else process.stderr.write([...diagnosticLines(errors, r.warnings), `sluice ${command}: ${file} is invalid (${plural(errors.length, 'error')})`].join('\n') + '\n');
  return null;
}
