import type { PluginDefinition, PluginResponse } from '../types.js';
import { pluginSchema } from '../schema.js';

interface Conf {
  allowed_payload_size: number;
  size_unit: 'megabytes' | 'kilobytes' | 'bytes';
  require_content_length: boolean;
}

const UNIT = { megabytes: 2 ** 20, kilobytes: 2 ** 10, bytes: 1 } as const;
const TOO_LARGE: PluginResponse = { status: 413, message: 'Request size limit exceeded' };
/** Kong answers 417 instead when the client waits for `100 Continue`. */
const TOO_LARGE_EXPECT: PluginResponse = { status: 417, message: 'Request size limit exceeded' };
const LENGTH_REQUIRED: PluginResponse = { status: 411, message: 'A valid Content-Length header is required' };

/**
 * request-size-limiting (Kong priority 951). A declared Content-Length over the limit is refused
 * before the body is read. A chunked body (no Content-Length) cannot be measured here: the proxy
 * streams it, so the plugin hands the limit to the proxy (`limitRequestBody`), which counts the
 * bytes as they arrive and answers 413 (or, when the upstream already started answering, cuts
 * the connection) as soon as the limit is passed.
 */
export const requestSizeLimiting: PluginDefinition = {
  name: 'request-size-limiting',
  priority: 951,
  schema: pluginSchema('request-size-limiting'),
  create(instance) {
    const conf = instance.config as unknown as Conf;
    const max = conf.allowed_payload_size * UNIT[conf.size_unit];
    return {
      access(req) {
        const cl = req.header('content-length');
        if (cl !== undefined) {
          if (Number(cl) <= max) return;
          const expect = req.header('expect');
          return expect !== undefined && expect.trim().toLowerCase() === '100-continue' ? TOO_LARGE_EXPECT : TOO_LARGE;
        }
        if (req.header('transfer-encoding') === undefined) return; // no body
        if (conf.require_content_length) return LENGTH_REQUIRED;
        req.limitRequestBody(max);
      },
    };
  },
};
