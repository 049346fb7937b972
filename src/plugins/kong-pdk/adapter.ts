/**
 * A kong-js-pdk module ({ Plugin, Schema, Version, Priority }) as a Sluice plugin definition:
 * its schema translated (schema.ts), one `new Plugin(config)` per plugin instance and snapshot,
 * and its phases run in-process with the `kong` object of pdk.ts:
 *
 * - rewrite, then access, in Sluice's access phase (Kong runs rewrite earlier; Sluice has no
 *   phase between routing and access, and kong.response.exit in rewrite skips access);
 * - response with the whole upstream response buffered (as Kong's response phase);
 * - log after the response.
 *
 * The request body is read whole before access only for a plugin whose code asks for it
 * (readsRequestBody); the access phase's body is kept for the response phase's
 * kong.request.get_raw_body.
 *
 * A phase that throws or rejects answers its request with a JSON 500; one that does not settle
 * within the timeout with a JSON 504. Either way the log line names the plugin and the phase.
 */
import type { PluginInstance } from '../../config/types.js';
import type { AccessResult, ConsumerIndex, LogInfo, PluginContext, PluginDefinition, PluginHandlers, PluginResponse, RequestBodyCapability, ResponseBodyCapability } from '../types.js';
import { pluginLog, runtime, unwatchPhase, watchPhase, type Pending } from '../custom/runtime.js';
import { Kong, KongState, PdkUnsupportedError, type KongPhase } from './pdk.js';
import { kongSchemaToJsonSchema } from './schema.js';

export interface KongModule {
  Plugin: new (config: Record<string, unknown>) => Record<string, unknown>;
  Schema?: unknown;
  Version?: string;
  Priority?: number;
  Name?: string;
}

export class PluginLoadError extends Error {}

const PHASES = ['rewrite', 'access', 'response', 'log'] as const;
const REFUSED = ['certificate', 'preread'] as const;

/** True when `mod` looks like a kong-js-pdk module (exports a Plugin class). */
export function isKongModule(mod: unknown): mod is KongModule {
  return mod !== null && typeof mod === 'object' && typeof (mod as { Plugin?: unknown }).Plugin === 'function';
}

/** The PDK functions that read or replace the request body (camelCase or snake_case, any mix). */
const BODY_FUNCTIONS = /\b(?:get_?raw_?body|get_?body|set_?raw_?body|set_?body)\b/i;
/** The upstream response's body functions, which need no request body. */
const SERVICE_RESPONSE_BODY = /service\.response\.(?:get_?raw_?body|get_?body)\b/gi;

/**
 * Whether Sluice buffers the request body for this Kong plugin (README, Writing plugins). Kong
 * reads bodies on demand; Sluice streams them unless a plugin asks before its access phase, so
 * it reads the plugin's code: the Plugin class's source (constructor and methods written in the
 * class, as `String(cls)` gives it) and every function on its prototype. The body is buffered
 * when that code names get_raw_body, get_body, set_raw_body or set_body (getRawBody, getBody,
 * setRawBody, setBody), other than as `service.response.get_raw_body` / `get_body`. Code outside
 * the class (a helper function the phases call) is not read.
 */
export function readsRequestBody(cls: KongModule['Plugin']): boolean {
  const proto = cls.prototype as Record<string, unknown>;
  const source = String(cls) + Object.getOwnPropertyNames(proto).map((k) => String(proto[k])).join('\n');
  return BODY_FUNCTIONS.test(source.replace(SERVICE_RESPONSE_BODY, ''));
}

/**
 * The request body each request's access phase handed to Kong plugins that read bodies: their
 * response phase reads it (kong.request.get_raw_body) without the body being handed again.
 */
const accessBodies = new WeakMap<PluginContext, RequestBodyCapability>();

/** The response body a Kong plugin's phases may see is capped like any buffered body. */
const WANT_WHOLE_BODY = Number.MAX_SAFE_INTEGER;

export function kongDefinition(name: string, mod: KongModule, file: string): PluginDefinition {
  const cls = mod.Plugin;
  const proto = cls.prototype as Record<string, unknown>;
  for (const p of REFUSED) {
    if (typeof proto[p] === 'function') {
      throw new PluginLoadError(`${file}: plugin ${name} has a ${p} phase, which Sluice does not run (it serves HTTP only: use access)`);
    }
  }
  const has = (p: string): boolean => typeof proto[p] === 'function';
  if (!PHASES.some(has)) throw new PluginLoadError(`${file}: plugin ${name} has none of the phases ${PHASES.join(', ')}`);
  let schema: Record<string, unknown>;
  try {
    schema = kongSchemaToJsonSchema(mod.Schema, `${name}.Schema`);
  } catch (e) {
    throw new PluginLoadError(`${file}: ${(e as Error).message}`);
  }
  const priority = typeof mod.Priority === 'number' && Number.isFinite(mod.Priority) ? mod.Priority : 0;
  const wantsBody = readsRequestBody(cls);
  const hasRewrite = has('rewrite');
  const hasAccess = has('access');
  const hasResponse = has('response');
  const hasLog = has('log');

  return {
    name,
    priority,
    schema,
    create(instance: PluginInstance, ctx): PluginHandlers {
      let plugin: Record<string, unknown>;
      try {
        plugin = new cls(structuredClone(instance.config));
      } catch (e) {
        throw new Error(`plugin ${name}: new Plugin(config) threw: ${(e as Error).message}`);
      }
      const consumers = ctx.consumers;
      let h: PluginHandlers = {};
      // The PDK's body functions read the capability (KongState.requestBody); others never see a
      // body. A plugin that reads it only in its response phase still has it buffered before access.
      if (wantsBody) {
        h = {
          bufferRequestBody: true,
          access(req, b): AccessResult {
            accessBodies.set(req, b);
            return hasRewrite || hasAccess ? accessPhase(name, plugin, consumers, req, b, hasRewrite, hasAccess) : undefined;
          },
        };
      } else if (hasRewrite || hasAccess) h.access = (req) => accessPhase(name, plugin, consumers, req, null, hasRewrite, hasAccess);
      if (hasResponse) {
        h.bufferResponseBody = () => WANT_WHOLE_BODY;
        h.body = (req, status, body, response) => responsePhase(name, plugin, consumers, req, status, body, response, wantsBody ? (accessBodies.get(req) ?? null) : null);
      }
      if (hasLog) h.log = (req, info) => logPhase(name, plugin, consumers, req, info);
      return h;
    },
  };
}

function errorResponse(plugin: string, phase: KongPhase, req: PluginContext, err: unknown): PluginResponse {
  const unsupported = err instanceof PdkUnsupportedError;
  const message = err instanceof Error ? err.message : String(err);
  // PdkUnsupportedError was logged once already, where it was raised.
  if (!unsupported) pluginLog('error', { plugin, phase, request_id: req.requestId, err: message }, `plugin ${plugin} failed in ${phase}: ${message}`);
  else pluginLog('debug', { plugin, phase, request_id: req.requestId, err: message }, `plugin ${plugin} failed in ${phase}: ${message}`);
  return { status: 500, message: 'An unexpected error occurred' };
}

/**
 * Runs one phase method, bounded by the timeout: resolves with the phase's outcome (null: went
 * through; a PluginResponse: the answer, kong.response.exit's or an error's).
 */
function runPhase(plugin: string, instance: Record<string, unknown>, phase: KongPhase, state: KongState): Promise<PluginResponse | null> | PluginResponse | null {
  let r: unknown;
  try {
    r = (instance[phase] as (k: Kong) => unknown).call(instance, new Kong(state));
  } catch (e) {
    return errorResponse(plugin, phase, state.req, e);
  }
  if (r === null || typeof r !== 'object' || typeof (r as Promise<unknown>).then !== 'function') return state.exit;
  return new Promise<PluginResponse | null>((resolve) => {
    let done = false;
    const p: Pending = {
      deadline: performance.now() + runtime.timeoutMs,
      expire() {
        if (done) return;
        done = true;
        pluginLog('error', { plugin, phase, request_id: state.req.requestId, timeout_ms: runtime.timeoutMs }, `plugin ${plugin} did not finish its ${phase} phase within ${runtime.timeoutMs} ms`);
        resolve({ status: 504, message: `plugin ${plugin} timed out` });
      },
    };
    watchPhase(p);
    (r as Promise<unknown>).then(
      () => {
        if (done) return;
        done = true;
        unwatchPhase(p);
        resolve(state.exit);
      },
      (e: unknown) => {
        if (done) return;
        done = true;
        unwatchPhase(p);
        resolve(errorResponse(plugin, phase, state.req, e));
      },
    );
  });
}

function accessPhase(plugin: string, instance: Record<string, unknown>, consumers: ConsumerIndex, req: PluginContext, body: RequestBodyCapability | null, hasRewrite: boolean, hasAccess: boolean): AccessResult {
  if (!hasRewrite) return settle(runPhase(plugin, instance, 'access', new KongState(req, plugin, 'access', consumers, body)));
  const first = runPhase(plugin, instance, 'rewrite', new KongState(req, plugin, 'rewrite', consumers, body));
  const next = (r: PluginResponse | null): AccessResult => (r !== null || !hasAccess ? (r ?? undefined) : settle(runPhase(plugin, instance, 'access', new KongState(req, plugin, 'access', consumers, body))));
  if (first !== null && typeof (first as Promise<unknown>).then === 'function') return (first as Promise<PluginResponse | null>).then(next);
  return next(first as PluginResponse | null);
}

function settle(r: Promise<PluginResponse | null> | PluginResponse | null): AccessResult {
  if (r === null) return undefined;
  if (typeof (r as Promise<unknown>).then === 'function') return (r as Promise<PluginResponse | null>).then(orUndefined);
  return r as PluginResponse;
}

const orUndefined = (r: PluginResponse | null): PluginResponse | undefined => r ?? undefined;

/**
 * Kong's response phase, on the whole upstream body. The body hook of the proxy is synchronous
 * when it can be: this returns a promise only while the phase is pending (proxy: runBodyPhase).
 */
function responsePhase(
  plugin: string,
  instance: Record<string, unknown>,
  consumers: ConsumerIndex,
  req: PluginContext,
  status: number,
  body: Buffer,
  response: ResponseBodyCapability,
  requestBody: RequestBodyCapability | null,
): Buffer | Promise<Buffer> {
  const state = new KongState(req, plugin, 'response', consumers, requestBody);
  state.body = body;
  state.status = status;
  const apply = (r: PluginResponse | null): Buffer => {
    if (r === null) return body;
    for (const [k, v] of Object.entries(r.headers ?? {})) {
      req.removeResponseHeader(k);
      req.addResponseHeader(k, v);
    }
    if (r.status !== status) response.setResponseStatus(r.status);
    if (r.body === undefined) return Buffer.from(JSON.stringify({ message: r.message ?? '', request_id: req.requestId }));
    return Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
  };
  const r = runPhase(plugin, instance, 'response', state);
  if (r !== null && typeof (r as Promise<unknown>).then === 'function') return (r as Promise<PluginResponse | null>).then(apply);
  return apply(r as PluginResponse | null);
}

function logPhase(plugin: string, instance: Record<string, unknown>, consumers: ConsumerIndex, req: PluginContext, info: LogInfo): void {
  const state = new KongState(req, plugin, 'log', consumers);
  state.info = info;
  state.status = info.status;
  try {
    const r = (instance.log as (k: Kong) => unknown).call(instance, new Kong(state));
    if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
      (r as Promise<unknown>).then(undefined, (e: unknown) => void errorResponse(plugin, 'log', req, e));
    }
  } catch (e) {
    errorResponse(plugin, 'log', req, e);
  }
}
