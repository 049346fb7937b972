import { hostname } from 'node:os';
import type { PluginDefinition } from '../types.js';
import { pluginSchema } from '../schema.js';
import { redactedHeaders, serialize } from '../log-common/log-serializer.js';
import { checkNoLua } from '../log-common/lua-fields.js';
import { UdpSink } from '../log-common/net-sinks.js';
import { sinkKey } from '../log-common/sink-key.js';

type Severity = 'emerg' | 'alert' | 'crit' | 'err' | 'warning' | 'notice' | 'info' | 'debug';

interface Conf {
  log_level: Severity;
  successful_severity: Severity;
  client_errors_severity: Severity;
  server_errors_severity: Severity;
  facility: string;
  host: string;
  port: number;
}

const SEVERITY: Record<Severity, number> = { emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7 };
const FACILITY: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

/** RFC 5424 HOSTNAME: printable US-ASCII, at most 255 characters. */
const HOST = hostname().replace(/[^\x21-\x7e]/g, '').slice(0, 255) || '-';

/**
 * syslog (Kong priority 4). Kong writes to the local syslog through the C library; Sluice sends
 * RFC 5424 messages over UDP to `host:port` (127.0.0.1:514 by default: the local syslog daemon's
 * UDP input). Each request's severity is successful_severity (< 400), client_errors_severity
 * (4xx) or server_errors_severity (5xx); it is sent only when at least as severe as log_level.
 * PRI = facility × 8 + severity; APP-NAME "sluice", PROCID the process id, MSG Kong's JSON entry.
 */
export const syslog: PluginDefinition = {
  name: 'syslog',
  priority: 4,
  schema: pluginSchema('syslog'),
  check: (config) => checkNoLua(config),
  create(instance, ctx) {
    const conf = instance.config as unknown as Conf;
    const redact = redactedHeaders(ctx.config);
    const key = sinkKey('syslog', instance.id, conf);
    const threshold = SEVERITY[conf.log_level];
    const facility = FACILITY[conf.facility]! * 8;
    const sev = [SEVERITY[conf.successful_severity], SEVERITY[conf.client_errors_severity], SEVERITY[conf.server_errors_severity]];
    const tail = ` ${HOST} sluice ${process.pid} - - `;
    let sink: UdpSink | null = null;
    return {
      log(req, info) {
        const s = sev[info.status >= 500 ? 2 : info.status >= 400 ? 1 : 0]!;
        if (s > threshold) return;
        sink ??= ctx.state(key, () => new UdpSink('syslog', conf.host, conf.port, 10000));
        sink.queue.push(`<${facility + s}>1 ${new Date().toISOString()}${tail}${JSON.stringify(serialize(req, info, redact))}`);
      },
    };
  },
};
