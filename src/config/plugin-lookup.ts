import type { PluginLookup } from './validate.js';

/**
 * The plugin catalogue validation checks against when a caller passes none. config/ never imports
 * plugins/ at run time: src/plugins/catalogue.ts provides the process's active catalogue here
 * when it loads, and every entry point (CLI, gateway, worker) loads it.
 */
let provider: (() => PluginLookup) | null = null;

export function providePluginLookup(get: () => PluginLookup): void {
  provider = get;
}

export function defaultPluginLookup(): PluginLookup {
  if (provider === null) throw new Error('no plugin catalogue: import src/plugins/catalogue.ts before loading a configuration');
  return provider();
}
