import type { PluginDefinition } from '../types.js';
import { pluginSchema } from '../schema.js';
import { redactedHeaders, serialize } from '../log-common/log-serializer.js';
import { checkNoLua } from '../log-common/lua-fields.js';
import { UdpSink } from '../log-common/net-sinks.js';
import { sinkKey } from '../log-common/sink-key.js';

interface Conf {
  host: string;
  port: number;
  timeout: number;
}

/** udp-log (Kong priority 8): Kong's JSON log entry of each request, one datagram each. */
export const udpLog: PluginDefinition = {
  name: 'udp-log',
  priority: 8,
  schema: pluginSchema('udp-log'),
  check: (config) => checkNoLua(config),
  create(instance, ctx) {
    const conf = instance.config as unknown as Conf;
    const redact = redactedHeaders(ctx.config);
    const key = sinkKey('udp-log', instance.id, conf);
    let sink: UdpSink | null = null;
    return {
      log(req, info) {
        sink ??= ctx.state(key, () => new UdpSink('udp-log', conf.host, conf.port, conf.timeout));
        sink.queue.push(JSON.stringify(serialize(req, info, redact)));
      },
    };
  },
};
