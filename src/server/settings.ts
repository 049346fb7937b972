import { availableParallelism } from 'node:os';
import type { LogFormat } from '../observability/logger.js';
import { pluginsSpecFrom, type PluginsSpec } from '../plugins/custom/load.js';

/** `sluice start` settings: flags, then environment, then defaults (SPEC §2). */
export interface Settings {
  config: string;
  proxyHost: string;
  proxyPort: number;
  tlsHost: string;
  tlsPort: number;
  adminHost: string | null;
  adminPort: number;
  adminToken: string | null;
  workers: number;
  logLevel: string;
  logFormat: LogFormat;
  maxHeaderBytes: number;
  drainMs: number;
  /** Custom plugin directories and SLUICE_PLUGINS (src/plugins/custom/load.ts). */
  plugins: PluginsSpec;
  /** A custom plugin phase that does not settle within this many ms fails its request (SLUICE_PLUGIN_TIMEOUT_MS, default 10000). */
  pluginTimeoutMs: number;
}

export interface StartFlags {
  config?: string;
  'proxy-listen'?: string;
  'proxy-listen-tls'?: string;
  'admin-listen'?: string;
  workers?: string;
  'log-level'?: string;
  'plugins-dir'?: string[] | string;
}

export class SettingsError extends Error {}

/** Parses `host:port`, `[v6]:port`, or a bare port. */
export function parseListen(value: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new SettingsError(`${what}: expected HOST:PORT, got "${value}"`);
  return { host: m[1] || m[2] || '0.0.0.0', port };
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export function resolveSettings(flags: StartFlags, env: NodeJS.ProcessEnv = process.env): Settings {
  const proxy = parseListen(flags['proxy-listen'] ?? env.SLUICE_PROXY_LISTEN ?? '0.0.0.0:8000', 'proxy listener');
  // The TLS listener defaults to the proxy listener's host: a gateway told to listen on loopback
  // must not open 8443 on every interface.
  const tls = parseListen(flags['proxy-listen-tls'] ?? env.SLUICE_PROXY_LISTEN_TLS ?? `${proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host}:8443`, 'TLS proxy listener');
  const adminValue = flags['admin-listen'] ?? env.SLUICE_ADMIN_LISTEN ?? '127.0.0.1:8001';
  const admin = adminValue === 'off' ? null : parseListen(adminValue, 'admin listener');
  const adminToken = env.SLUICE_ADMIN_TOKEN || null;
  if (admin !== null && !isLoopback(admin.host) && adminToken === null) {
    throw new SettingsError(`admin listener ${adminValue} is beyond loopback: set SLUICE_ADMIN_TOKEN (or listen on 127.0.0.1)`);
  }
  const workersValue = flags.workers ?? env.SLUICE_WORKERS;
  const workers = workersValue === undefined ? availableParallelism() : Number(workersValue);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new SettingsError(`workers: expected a whole number from 1 to 256, got "${workersValue}"`);
  const logLevel = flags['log-level'] ?? env.SLUICE_LOG_LEVEL ?? 'info';
  if (!LEVELS.has(logLevel)) throw new SettingsError(`log level: expected one of ${[...LEVELS].join(', ')}, got "${logLevel}"`);
  const logFormat = (env.SLUICE_LOG_FORMAT ?? 'json') as LogFormat;
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new SettingsError(`SLUICE_LOG_FORMAT: expected json or pretty, got "${logFormat}"`);
  const maxHeaderBytes = Number(env.SLUICE_MAX_HEADER_BYTES ?? 16384);
  if (!Number.isInteger(maxHeaderBytes) || maxHeaderBytes < 1024) throw new SettingsError('SLUICE_MAX_HEADER_BYTES: expected a whole number ≥ 1024');
  if (tls.port === 0 && workers > 1) throw new SettingsError('TLS proxy listener: port 0 needs --workers 1 (workers share one fixed port)');
  if (proxy.port === 0 && workers > 1) throw new SettingsError('proxy listener: port 0 needs --workers 1 (workers share one fixed port)');
  const drainMs = Number(env.SLUICE_DRAIN_TIMEOUT_MS ?? 30000);
  const pluginTimeoutMs = Number(env.SLUICE_PLUGIN_TIMEOUT_MS ?? 10000);
  if (!Number.isInteger(pluginTimeoutMs) || pluginTimeoutMs < 1) throw new SettingsError('SLUICE_PLUGIN_TIMEOUT_MS: expected a whole number of milliseconds ≥ 1');
  return {
    config: flags.config ?? env.SLUICE_CONFIG ?? './gateway.yaml',
    proxyHost: proxy.host,
    proxyPort: proxy.port,
    tlsHost: tls.host,
    tlsPort: tls.port,
    adminHost: admin?.host ?? null,
    adminPort: admin?.port ?? 0,
    adminToken,
    workers,
    logLevel,
    logFormat,
    maxHeaderBytes,
    drainMs: Number.isFinite(drainMs) && drainMs >= 0 ? drainMs : 30000,
    plugins: pluginsSpecFrom(flags['plugins-dir'], env),
    pluginTimeoutMs,
  };
}
