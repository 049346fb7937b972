import type { Config, PluginInstance } from '../config/types.js';

/**
 * A plugin module, as DESIGN.md describes: `create` runs at compile time (once per plugin
 * instance per snapshot) and returns per-phase handlers that close over the compiled config.
 * The request path only calls the handlers.
 */
export interface PluginDefinition {
  name: string;
  /** Kong's priority: higher runs first in the access phase. */
  priority: number;
  /** JSON Schema of `config` (the content of schemas/plugins/<name>.json). */
  schema: Record<string, unknown>;
  create(instance: PluginInstance, ctx: PluginCreateContext): PluginHandlers;
}

export interface PluginCreateContext {
  config: Config;
  /** State that survives reloads, keyed by plugin identity + config hash (see DESIGN.md). */
  state: Map<string, unknown>;
}

/** Filled in by the plugin engine issue; the proxy calls these through a precompiled chain. */
export interface PluginHandlers {
  access?: unknown;
  response?: unknown;
  log?: unknown;
}
