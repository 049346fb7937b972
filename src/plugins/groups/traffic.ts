import type { PluginDefinition } from '../types.js';
import { requestTermination } from '../request-termination/index.js';

/** Traffic-control and security plugins (SPEC §5). Each plugin lives in src/plugins/<name>/. */
export const PLUGINS: PluginDefinition[] = [requestTermination];
