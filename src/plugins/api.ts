/**
 * Sluice's native plugin API: the interface every bundled plugin is written against, public and
 * versioned for custom plugins (`import type { PluginDefinition } from 'sluice/plugin-api'`, or
 * from this file). A native plugin module exports a PluginDefinition (default export or `plugin`):
 *
 *   export default {
 *     apiVersion: 1,
 *     name: 'add-header',           // must match the file or folder name
 *     priority: 800,                // higher runs first (Kong's priorities)
 *     schema: { type: 'object', properties: { value: { type: 'string', default: 'x' } }, additionalProperties: false },
 *     create(instance, ctx) {       // once per plugin instance and configuration snapshot
 *       const value = instance.config.value as string;
 *       return { access: (req) => req.setUpstreamHeader('x-added', value) };
 *     },
 *   } satisfies PluginDefinition;
 *
 * Version history:
 *   1 — name, priority, schema (JSON Schema of `config`), check, authenticates, create(instance,
 *       ctx) → handlers access / header / body / log, bufferRequestBody, bufferResponseBody.
 *
 * A change that breaks existing plugins increments PLUGIN_API_VERSION; a plugin declaring a
 * higher `apiVersion` than the gateway's is refused at load with a message naming both.
 */
export const PLUGIN_API_VERSION = 1;

export type {
  AccessResult,
  ConsumerIndex,
  LogInfo,
  PluginConfigProblem,
  PluginContext,
  PluginCreateContext,
  PluginDefinition,
  PluginHandlers,
  PluginResponse,
} from './types.js';
export type { PluginInstance, Consumer, Route, Service } from '../config/types.js';
