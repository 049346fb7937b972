import { randomUUID } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import type { PluginContext, PluginDefinition } from '../types.js';
import { pluginSchema } from '../schema.js';

interface Conf {
  header_name: string;
  generator: 'uuid' | 'uuid#counter' | 'tracker';
  echo_downstream: boolean;
}

/** Per worker thread, as Kong's per nginx worker: one UUID and a counter. */
const workerUuid = randomUUID();
let counter = 0;

const GENERATORS: Record<Conf['generator'], (req: PluginContext) => string> = {
  uuid: () => randomUUID(),
  'uuid#counter': () => workerUuid + '#' + ++counter,
  tracker: (req) => `${req.clientIp}-${process.pid}-${threadId}-${++counter}-${(Date.now() / 1000).toFixed(3)}`,
};

/**
 * correlation-id, at Kong's priority (100001): before the authentication plugins, so the id
 * exists when one of them answers 401. In access: the id the client sent in `header_name` (when
 * not empty) is kept, or one is generated and sent upstream; either way it becomes the request's
 * id (PluginContext.setRequestId), so the response header, error bodies' `request_id`, the access
 * line, the log plugins and the upstream all carry that one value. With echo_downstream the
 * response carries it, also a response made before this plugin's access ran: then the header
 * phase picks the id as Kong's header_filter does (the client's, else a new one), unless the
 * request's id was already given out (an error body), which it then echoes instead.
 */
export const correlationId: PluginDefinition = {
  name: 'correlation-id',
  priority: 100001,
  schema: pluginSchema('correlation-id'),
  create(instance) {
    const conf = instance.config as unknown as Conf;
    const name = conf.header_name;
    const lower = name.toLowerCase();
    const generate = GENERATORS[conf.generator];
    const echo = conf.echo_downstream;
    return {
      access(req) {
        let id = req.header(lower);
        if (id === undefined || id === '') {
          id = generate(req);
          req.setUpstreamHeader(lower, id);
        }
        req.setRequestId(id);
      },
      header: echo
        ? (req) => {
            if (req.requestIdFixed === false) {
              let id = req.header(lower);
              if (id === undefined || id === '') id = generate(req);
              req.setRequestId(id);
            }
            req.removeResponseHeader(lower);
            req.addResponseHeader(name, req.requestId);
          }
        : undefined,
    };
  },
};
