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
 * What a phase gets: `PluginContext` (every member always exists, in every phase, on HTTP requests
 * and WebSocket upgrades alike) and, only where the handlers asked for it, a body capability:
 *
 *   create(instance) {
 *     return {
 *       bufferRequestBody: true,                 // read the whole body before access…
 *       access(req, body) {                      // …and get it here (RequestBodyCapability)
 *         if (body.requestBody.length > 0) body.setRequestBody(Buffer.from('{}'));
 *         if (req.header('x-canary') === '1') req.setUpstream('canary');   // an Upstream entity
 *       },
 *       bufferResponseBody: () => 65536,
 *       body: (req, status, bytes, response) => (status >= 500 ? (response.setResponseStatus(502), bytes) : bytes),
 *     };
 *   }
 *
 * Version history:
 *   1 — name, priority, schema (JSON Schema of `config`), check, authenticates, create(instance,
 *       ctx) → handlers access / header / body / log, bufferRequestBody, bufferResponseBody.
 *       Later additions, source-compatible (a v1 plugin compiles and runs unchanged):
 *       setUpstream / setTarget (Kong's kong.service.set_upstream / set_target); the request
 *       body as `access`'s second argument (RequestBodyCapability) when the handlers declare
 *       `bufferRequestBody: true`, and `body`'s fourth (ResponseBodyCapability);
 *       setUpstreamMethod, limitRequestBody and authenticatedGroups always present. The
 *       context's requestBody / setRequestBody / setResponseStatus are deprecated (they stay
 *       until version 2).
 *
 * A change that breaks existing plugins increments PLUGIN_API_VERSION; a plugin declaring a
 * higher `apiVersion` than the gateway's is refused at load with a message naming both.
 */
export const PLUGIN_API_VERSION = 1;

export type {
  AccessResult,
  BodyHandlers,
  ConsumerIndex,
  LogInfo,
  PluginConfigProblem,
  PluginContext,
  PluginCreateContext,
  PluginDefinition,
  PluginHandlers,
  PluginResponse,
  RequestBodyCapability,
  ResponseBodyCapability,
  StreamingHandlers,
} from './types.js';
export type { PluginInstance, Consumer, Route, Service } from '../config/types.js';
