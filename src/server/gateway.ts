import { readFileSync } from 'node:fs';
import client from 'prom-client';
import { formatDiagnostic, loadConfigFile } from '../config/index.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { AdminServer } from './admin.js';
import { ConfigManager, withPluginsHash } from './reload.js';
import type { Settings } from './settings.js';
import { WorkerGroup } from './workers.js';
import { assertNativeUws } from './uws.js';
import { runtimeInfo } from '../uws/load.js';
import { portProblem, type ListenerInfo } from './ports.js';
import { setActiveCatalogue } from '../plugins/catalogue.js';
import { loadCatalogue } from '../plugins/custom/load.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface RunningGateway {
  adminPort: number | null;
  manager: ConfigManager;
  workers: WorkerGroup;
  stop(): Promise<void>;
}

/**
 * `sluice start`: load and validate the configuration (refusing to start on errors), start the
 * proxy workers, the admin API and the file watcher; reload on SIGHUP; drain on SIGTERM/SIGINT.
 */
export async function startGateway(settings: Settings, logger: Logger = createLogger(settings.logLevel, settings.logFormat)): Promise<RunningGateway | null> {
  assertNativeUws();
  let bytesBefore: Buffer | null = null;
  try {
    bytesBefore = readFileSync(settings.config);
  } catch {
    /* loadConfigFile reports it */
  }
  // Custom plugins first: the configuration is validated against the catalogue they make.
  let catalogue;
  try {
    catalogue = await loadCatalogue(settings.plugins);
  } catch (err) {
    logger.fatal({ plugins_dir: settings.plugins.dirs }, `plugins: ${(err as Error).message}; not starting`);
    return null;
  }
  setActiveCatalogue(catalogue);
  if (catalogue.custom.size > 0) logger.info({ plugins: [...catalogue.custom].map(([name, o]) => ({ name, format: o.format, file: o.file })) }, 'custom plugins loaded');
  // Warnings name what this uWS build does with the routes' methods (config/uws-methods.ts).
  const result = loadConfigFile(settings.config, { catalogue, uws: runtimeInfo().uws });
  if (!result.ok) {
    for (const e of result.errors) logger.error(formatDiagnostic(e));
    logger.fatal({ config: settings.config, errors: result.errors.length }, 'configuration is invalid; not starting');
    return null;
  }
  for (const w of result.warnings) logger.warn(formatDiagnostic(w));

  // Refuse to share a port with another process (uWS's SO_REUSEPORT would share it silently).
  const usesTls = result.config.certificates.length > 0;
  const probes = [portProblem('proxy listener', settings.proxyHost, settings.proxyPort)];
  if (usesTls) probes.push(portProblem('TLS proxy listener', settings.tlsHost, settings.tlsPort));
  if (settings.adminHost !== null) probes.push(portProblem('admin listener', settings.adminHost, settings.adminPort));
  const busy = (await Promise.all(probes)).filter((p): p is string => p !== null);
  if (busy.length > 0) {
    for (const b of busy) logger.fatal(b);
    return null;
  }

  const registry = new client.Registry();
  const workers = new WorkerGroup(
    settings.workers,
    { host: settings.proxyHost, port: settings.proxyPort, tlsHost: settings.tlsHost, tlsPort: settings.tlsPort, maxHeaderBytes: settings.maxHeaderBytes, logLevel: settings.logLevel, logFormat: settings.logFormat, plugins: settings.plugins, pluginTimeoutMs: settings.pluginTimeoutMs },
    withPluginsHash(result.config, catalogue.version),
    logger,
  );
  const manager = new ConfigManager(settings.config, withPluginsHash(result.config, catalogue.version), (c, plugins) => workers.broadcast(c, plugins), logger, undefined, undefined, settings.plugins);
  if (bytesBefore !== null) manager.primeLoadedBytes(bytesBefore);
  // From here on SIGHUP reloads (its default action would kill the process).
  const onHup = (): void => void manager.reload('signal');
  process.on('SIGHUP', onHup);
  new client.Gauge({
    name: 'sluice_config_reloads_total',
    help: 'Configuration reloads by result (ok, failed, unchanged)',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      for (const [k, v] of Object.entries(manager.reloads)) this.set({ result: k }, v);
    },
  });
  try {
    await workers.start();
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'proxy listener failed');
    process.off('SIGHUP', onHup);
    await workers.stop(0);
    return null;
  }
  // The watcher is live before the admin API answers: once /status answers, a file change is seen.
  await manager.watch();
  let admin: AdminServer | null = null;
  let adminPort: number | null = null;
  if (settings.adminHost !== null) {
    admin = new AdminServer({ version: VERSION, startedAt: Date.now(), manager, workers, token: settings.adminToken, logger, registry, listeners: () => listeners(settings, manager.current.certificates.length > 0, adminPort) });
    try {
      adminPort = await admin.listen(settings.adminHost, settings.adminPort);
    } catch (err) {
      logger.fatal({ err: (err as Error).message }, 'admin listener failed');
      process.off('SIGHUP', onHup);
      await manager.close();
      await workers.stop(0);
      return null;
    }
  }
  logger.info(
    { listeners: listeners(settings, usesTls, adminPort), workers: settings.workers, config: settings.config, hash: result.config.hash, version: VERSION },
    'sluice started',
  );

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('SIGHUP', onHup);
      logger.info({ drain_ms: settings.drainMs }, 'shutting down: draining in-flight requests');
      await manager.close();
      await workers.stop(settings.drainMs);
      admin?.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { adminPort, manager, workers, stop };
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Every listener, for the start-up line and /status. The TLS one runs only while certificates exist. */
function listeners(settings: Settings, tls: boolean, adminPort: number | null): ListenerInfo[] {
  const out: ListenerInfo[] = [
    { name: 'proxy', address: hostPort(settings.proxyHost, settings.proxyPort), active: true },
    { name: 'proxy_tls', address: hostPort(settings.tlsHost, settings.tlsPort), active: tls },
  ];
  if (settings.adminHost !== null && adminPort !== null) out.push({ name: 'admin', address: hostPort(settings.adminHost, adminPort), active: true });
  return out;
}
