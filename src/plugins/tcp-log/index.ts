import type { PluginDefinition } from '../types.js';
import { pluginSchema } from '../schema.js';
import { redactedHeaders, serialize } from '../log-common/log-serializer.js';
import { checkNoLua } from '../log-common/lua-fields.js';
import { TcpSink } from '../log-common/net-sinks.js';
import { sinkKey } from '../log-common/sink-key.js';

interface Conf {
  host: string;
  port: number;
  timeout: number;
  keepalive: number;
  tls: boolean;
  tls_sni: string | null;
  ssl_verify: boolean;
}

/** tcp-log (Kong priority 7): Kong's JSON log entry of each request, one line each, over a kept-alive TCP or TLS connection. */
export const tcpLog: PluginDefinition = {
  name: 'tcp-log',
  priority: 7,
  schema: pluginSchema('tcp-log'),
  check: (config) => checkNoLua(config),
  create(instance, ctx) {
    const conf = instance.config as unknown as Conf;
    const redact = redactedHeaders(ctx.config);
    const key = sinkKey('tcp-log', instance.id, conf);
    let sink: TcpSink | null = null;
    return {
      log(req, info) {
        sink ??= ctx.state(key, () => new TcpSink('tcp-log', { host: conf.host, port: conf.port, timeout: conf.timeout, keepalive: conf.keepalive, tls: conf.tls, tlsSni: conf.tls_sni, sslVerify: conf.ssl_verify }));
        sink.queue.push(JSON.stringify(serialize(req, info, redact)) + '\n');
      },
    };
  },
};
