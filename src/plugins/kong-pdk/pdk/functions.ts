/**
 * How the PDK's API objects become Kong's: every method also under its snake_case name (as
 * kong-js-pdk accepts both), every other name an async function that rejects naming it, and the
 * phase check of the functions Kong limits to some phases.
 */
import { pluginLog } from '../../custom/runtime.js';
import type { KongPhase, KongState } from './state.js';

/** A PDK function Sluice does not implement: rejects naming it, logged once per name per process. */
export class PdkUnsupportedError extends Error {}
const reported = new Set<string>();
export function unsupported(fn: string): PdkUnsupportedError {
  const e = new PdkUnsupportedError(`${fn} is not supported by Sluice's PDK`);
  if (!reported.has(fn)) {
    reported.add(fn);
    pluginLog('error', { pdk_function: fn }, e.message);
  }
  return e;
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
const camel = (s: string): string => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** kong.<ns>.<prop> in Kong's spelling, whichever spelling the plugin used. */
const kongName = (ns: string, prop: string): string => `kong.${ns}.${snake(camel(prop))}`;

/** Names a Proxy must not answer: promise and JSON probes, inspection. */
const notPdk = (prop: string | symbol): prop is symbol => typeof prop !== 'string' || prop === 'then' || prop === 'toJSON' || prop === 'inspect' || prop === 'constructor';

/**
 * Every method of `cls` also under its snake_case name, and any other name answers with an async
 * function rejecting with "kong.<ns>.<name> is not supported" (a Proxy behind the prototype: no
 * per-request cost).
 */
export function pdkClass(cls: { prototype: object }, ns: string): void {
  const proto = cls.prototype as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(proto, name)!;
    if (typeof d.value !== 'function') continue;
    const s = snake(name);
    if (s !== name && !(s in proto)) Object.defineProperty(proto, s, d);
  }
  const missing = new Proxy(Object.create(null) as object, {
    get(_t, prop) {
      if (notPdk(prop)) return undefined;
      return () => Promise.reject(unsupported(kongName(ns, prop)));
    },
  });
  Object.setPrototypeOf(proto, missing);
}

/**
 * The `kong` object's own fallback: `kong.<ns>` Sluice does not have is a namespace whose every
 * function (and the namespace called as one) rejects naming it.
 */
export function pdkRoot(cls: { prototype: object }): void {
  const missing = new Proxy(Object.create(null) as object, {
    get(_t, prop) {
      if (notPdk(prop)) return undefined;
      return new Proxy(() => undefined, {
        get: (_f, sub) => (typeof sub === 'string' ? () => Promise.reject(unsupported(kongName(prop, sub))) : undefined),
        apply: () => Promise.reject(unsupported(`kong.${prop}`)),
      });
    },
  });
  Object.setPrototypeOf(cls.prototype, missing);
}

/**
 * More names for methods of `cls`: `{ alias: 'method' }` (kong.request.get_forwarded_host is
 * get_host where no proxy is trusted). Call before pdkClass, which adds the snake_case names.
 */
export function aliases(cls: { prototype: object }, names: Record<string, string>): void {
  for (const [alias, name] of Object.entries(names)) Object.defineProperty(cls.prototype, alias, Object.getOwnPropertyDescriptor(cls.prototype, name)!);
}

/**
 * Namespace getters on `cls` (whose instances hold the call's `state`): `obj.<name>` is one
 * `new C(state)` per object, made on first read, so a phase pays only for the namespaces it uses.
 */
export function lazyNamespaces(cls: { prototype: object }, members: Record<string, new (s: KongState) => object>): void {
  for (const [name, C] of Object.entries(members)) {
    const slot = Symbol(name);
    Object.defineProperty(cls.prototype, name, {
      get(this: { state: KongState; [slot]?: object }): object {
        return (this[slot] ??= new C(this.state));
      },
      configurable: true,
    });
  }
}

/**
 * Kong's phase check: `fn` called outside `phases` throws "function cannot be called in <phase>
 * phase (only in: ...)", prefixed with the function's name (kong-js-pdk rejects with it).
 */
export function checkPhase(s: KongState, fn: string, phases: readonly KongPhase[]): void {
  if (!phases.includes(s.phase)) throw new Error(`${fn}: function cannot be called in ${s.phase} phase (only in: ${phases.join(', ')})`);
}
