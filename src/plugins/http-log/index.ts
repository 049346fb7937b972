import type { Agent } from 'undici';
import { undici } from '../../lazy.js';
import type { PluginDefinition } from '../types.js';
import { pluginSchema } from '../schema.js';
import { redactedHeaders, serialize, type LogEntry } from '../log-common/log-serializer.js';
import { checkNoLua } from '../log-common/lua-fields.js';
import { BatchQueue, queueOptions, type QueueConfig } from '../log-common/batch-queue.js';
import { sinkKey } from '../log-common/sink-key.js';

interface Conf {
  http_endpoint: string;
  method: 'POST' | 'PUT' | 'PATCH';
  content_type: string;
  timeout: number;
  keepalive: number;
  headers: Record<string, string> | null;
  ssl_verify: boolean;
  queue: QueueConfig;
  queue_size: number | null;
  flush_timeout: number | null;
}

/**
 * The sender of one http-log configuration: a bounded batch queue drained into an undici Agent
 * (keep-alive connections idle for at most `keepalive` ms). One entry is sent as a JSON object,
 * a batch of several as a JSON array (Kong). A non-2xx answer or a network error is a failure:
 * the batch is retried with backoff (see BatchQueue).
 */
class HttpLogSink {
  readonly queue: BatchQueue<LogEntry>;
  private readonly agent: Agent;
  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(conf: Conf) {
    const u = new URL(conf.http_endpoint);
    const headers: Record<string, string> = { 'content-type': conf.content_type };
    // Userinfo in the endpoint becomes Basic authentication (as Kong does); it is never sent in the URL.
    if (u.username !== '' || u.password !== '') {
      headers.authorization = 'Basic ' + Buffer.from(decodeURIComponent(u.username) + ':' + decodeURIComponent(u.password)).toString('base64');
      u.username = '';
      u.password = '';
    }
    if (conf.headers !== null) for (const k in conf.headers) headers[k.toLowerCase()] = conf.headers[k]!;
    this.url = u.toString();
    this.headers = headers;
    this.agent = new (undici().Agent)({
      keepAliveTimeout: Math.max(1, conf.keepalive),
      keepAliveMaxTimeout: Math.max(1, conf.keepalive),
      headersTimeout: conf.timeout,
      bodyTimeout: conf.timeout,
      connect: { timeout: conf.timeout, rejectUnauthorized: conf.ssl_verify },
    });
    const q = { ...conf.queue };
    // Kong's deprecated fields, when set, map onto the queue (as Kong 3 does).
    if (conf.queue_size !== null) q.max_batch_size = conf.queue_size;
    if (conf.flush_timeout !== null) q.max_coalescing_delay = conf.flush_timeout;
    this.queue = new BatchQueue(queueOptions('http-log', q), (batch) => this.send(batch, conf.method));
  }

  private async send(batch: LogEntry[], method: Conf['method']): Promise<void> {
    const body = batch.length === 1 ? JSON.stringify(batch[0]) : JSON.stringify(batch);
    const res = await undici().request(this.url, { method, headers: this.headers, body, dispatcher: this.agent });
    await res.body.dump();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`http-log endpoint answered ${res.statusCode}`);
  }
}

/** http-log (Kong priority 12): Kong's JSON log entries POSTed (PUT/PATCH) to an HTTP endpoint, batched. */
export const httpLog: PluginDefinition = {
  name: 'http-log',
  priority: 12,
  schema: pluginSchema('http-log'),
  check(config) {
    const problems = checkNoLua(config);
    try {
      const u = new URL(String(config.http_endpoint));
      if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push({ path: ['http_endpoint'], message: 'http_endpoint must be an http:// or https:// URL' });
    } catch {
      problems.push({ path: ['http_endpoint'], message: 'http_endpoint is not a valid URL' });
    }
    return problems;
  },
  create(instance, ctx) {
    const conf = instance.config as unknown as Conf;
    const redact = redactedHeaders(ctx.config);
    const key = sinkKey('http-log', instance.id, conf);
    let sink: HttpLogSink | null = null; // created on first use (no sockets at validate time)
    return {
      log(req, info) {
        sink ??= ctx.state(key, () => new HttpLogSink(conf));
        sink.queue.push(serialize(req, info, redact));
      },
    };
  },
};
