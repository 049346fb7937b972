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
 * correlation-id (Kong priority 1). Keeps a non-empty id the client sent; otherwise generates one
 * and sends it upstream. With echo_downstream the response carries it too — also a response the
 * gateway or an earlier plugin made (then an id is generated in the header phase, as Kong does).
 */
export const correlationId: PluginDefinition = {
  name: 'correlation-id',
  priority: 1,
  schema: pluginSchema('correlation-id'),
  create(instance) {
    const conf = instance.config as unknown as Conf;
    const name = conf.header_name;
    const lower = name.toLowerCase();
    const generate = GENERATORS[conf.generator];
    const echo = conf.echo_downstream;
    const ids = echo ? new WeakMap<PluginContext, string>() : null;
    return {
      access(req) {
        let id = req.header(lower);
        if (id === undefined || id === '') {
          id = generate(req);
          req.setUpstreamHeader(lower, id);
        }
        ids?.set(req, id);
      },
      header: echo
        ? (req) => {
            let id = ids!.get(req) ?? req.header(lower);
            if (id === undefined || id === '') id = generate(req);
            req.removeResponseHeader(lower);
            req.addResponseHeader(name, id);
          }
        : undefined,
    };
  },
};
