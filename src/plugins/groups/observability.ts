import type { PluginDefinition } from '../types.js';

/** Plugins of the observability group (SPEC §5). Each plugin lives in src/plugins/<name>/. */
export const PLUGINS: PluginDefinition[] = [];
