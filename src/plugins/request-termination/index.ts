import type { PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';

interface Conf {
  status_code: number;
  message: string | null;
  body: string | null;
  content_type: string | null;
  trigger: string | null;
  echo: boolean;
}

/** request-termination (Kong priority 2): a fixed answer instead of the upstream. */
export const requestTermination: PluginDefinition = {
  name: 'request-termination',
  priority: 2,
  schema: pluginSchema('request-termination'),
  create(instance) {
    const conf = instance.config as unknown as Conf;
    const fixed: PluginResponse =
      conf.body !== null
        ? { status: conf.status_code, body: conf.body, headers: { 'content-type': conf.content_type ?? 'application/json; charset=utf-8' } }
        : { status: conf.status_code, message: conf.message ?? defaultMessage(conf.status_code) };
    const trigger = conf.trigger?.toLowerCase() ?? null;
    return {
      access(req) {
        if (trigger !== null && req.header(trigger) === undefined && !new URLSearchParams(req.query).has(conf.trigger!)) return;
        if (conf.echo) {
          const body = JSON.stringify({
            message: conf.message ?? defaultMessage(conf.status_code),
            request: { method: req.method, path: req.path, query: req.query, headers: req.headers, client_ip: req.clientIp, request_id: req.requestId },
            matched_route: { id: req.route.id, name: req.route.name },
            matched_service: req.service ? { id: req.service.id, name: req.service.name } : null,
          });
          return { status: conf.status_code, body, headers: { 'content-type': 'application/json; charset=utf-8' } };
        }
        return fixed;
      },
    };
  },
};

function defaultMessage(status: number): string {
  return status === 503 ? 'Service unavailable' : status >= 500 ? 'Server error' : status >= 400 ? 'Request terminated' : 'OK';
}
