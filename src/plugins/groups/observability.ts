import type { PluginDefinition } from '../types.js';
import { prometheus } from '../prometheus/index.js';
import { fileLog } from '../file-log/index.js';
import { httpLog } from '../http-log/index.js';
import { tcpLog } from '../tcp-log/index.js';
import { udpLog } from '../udp-log/index.js';
import { syslog } from '../syslog/index.js';
import { opentelemetry } from '../opentelemetry/index.js';

/** Plugins of the observability group (SPEC §5). Each plugin lives in src/plugins/<name>/. */
export const PLUGINS: PluginDefinition[] = [prometheus, fileLog, httpLog, tcpLog, udpLog, syslog, opentelemetry];
