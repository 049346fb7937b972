import type { PluginDefinition } from '../types.js';
import { requestTransformer } from '../request-transformer/index.js';
import { responseTransformer } from '../response-transformer/index.js';
import { requestValidator } from '../request-validator/index.js';

/** Plugins of the transform group (SPEC §5), and request-validator. Each plugin lives in src/plugins/<name>/. */
export const PLUGINS: PluginDefinition[] = [requestTransformer, responseTransformer, requestValidator];
