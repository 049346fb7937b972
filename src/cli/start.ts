import { parseArgs } from 'node:util';
import { resolveSettings, SettingsError } from '../server/settings.js';

export const HELP = `Usage: sluice start [options]

Serves the configuration file, watches it and reloads on change; SIGHUP reloads too.
SIGTERM/SIGINT drain in-flight requests, then exit 0.

Options (flag, then environment, then default):
  -c, --config FILE        SLUICE_CONFIG          ./gateway.yaml
  --proxy-listen H:P       SLUICE_PROXY_LISTEN    0.0.0.0:8000
  --proxy-listen-tls H:P   SLUICE_PROXY_LISTEN_TLS 0.0.0.0:8443 (only while certificates are configured)
  --admin-listen H:P|off   SLUICE_ADMIN_LISTEN    127.0.0.1:8001
  --workers N              SLUICE_WORKERS         number of CPUs
  --log-level LEVEL        SLUICE_LOG_LEVEL       info
  --plugins-dir DIR        SLUICE_PLUGINS_DIR     none (':'-separated; custom plugins)
                           SLUICE_PLUGINS         bundled + every plugin found
                           SLUICE_PLUGIN_TIMEOUT_MS 10000
                           SLUICE_LOG_FORMAT      json (or pretty)
                           SLUICE_ADMIN_TOKEN     (required when admin listens beyond loopback)
                           SLUICE_MAX_HEADER_BYTES 16384
                           SLUICE_DRAIN_TIMEOUT_MS 30000
`;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        'proxy-listen': { type: 'string' },
        'proxy-listen-tls': { type: 'string' },
        'admin-listen': { type: 'string' },
        workers: { type: 'string' },
        'log-level': { type: 'string' },
        'plugins-dir': { type: 'string', multiple: true },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`sluice start: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  let settings;
  try {
    settings = resolveSettings(values);
  } catch (err) {
    if (err instanceof SettingsError) {
      process.stderr.write(`sluice start: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { startGateway } = await import('../server/gateway.js');
  let gateway;
  try {
    gateway = await startGateway(settings);
  } catch (err) {
    process.stderr.write(`sluice start: ${(err as Error).message}\n`);
    return 1;
  }
  if (gateway === null) return 1;
  return new Promise<number>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      gateway.stop().then(() => resolve(0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
