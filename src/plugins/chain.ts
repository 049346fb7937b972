import type { Config, Consumer, PluginInstance, Route } from '../config/types.js';
import { activeCatalogue, type Catalogue } from './catalogue.js';
import type { ConsumerIndex, PluginContext, PluginCreateContext, PluginHandlers, AccessResult, LogInfo, RequestBodyCapability, ResponseBodyCapability } from './types.js';

/** One plugin instance as it runs in a chain. */
export interface ChainEntry {
  name: string;
  priority: number;
  instance: PluginInstance;
  handlers: PluginHandlers;
  authenticates: boolean;
}

/**
 * A route's precompiled plugin chain (fastify-style: computed once per snapshot, arrays ready
 * for the request path, null when empty). `byConsumer` holds the chains of consumers that have
 * consumer-scoped plugins on this route, so that after authentication the proxy switches chains
 * with one Map lookup instead of merging anything per request.
 */
export interface Chain {
  entries: readonly ChainEntry[];
  /**
   * Access handlers; the second argument is the request body (RequestBodyCapability) for those
   * that declared `bufferRequestBody`, an empty stand-in on WebSocket upgrades, ignored by the rest.
   */
  access: ReadonlyArray<(ctx: PluginContext, body: RequestBodyCapability) => AccessResult>;
  /** Priority of each access entry (for resuming in a consumer's chain at the same point). */
  accessPriority: readonly number[];
  /** Whether access entry i is an authentication plugin. */
  accessAuth: readonly boolean[];
  header: ReadonlyArray<(ctx: PluginContext, status: number) => void> | null;
  log: ReadonlyArray<(ctx: PluginContext, info: LogInfo) => void> | null;
  byConsumer: ReadonlyMap<string, Chain> | null;
  /**
   * Some plugin of this chain (or of a consumer's chain on this route) reads the whole request
   * body in access: the proxy buffers it before the access phase instead of streaming it.
   */
  bufferRequestBody?: boolean;
  /** `bufferResponseBody` handlers (asked when a response head arrives), null when none. */
  bufferResponse?: ReadonlyArray<(ctx: PluginContext, status: number) => number> | null;
  /** `body` handlers, in priority order, null when none. */
  body?: ReadonlyArray<(ctx: PluginContext, status: number, body: Buffer, response: ResponseBodyCapability) => Buffer | Promise<Buffer>> | null;
}

/**
 * Kong's precedence, most specific first: consumer+route+service, consumer+route,
 * consumer+service, route+service, consumer, route, service, global. Consumer-group scoped
 * instances rank just after the same scope with a consumer.
 */
function specificity(p: PluginInstance): number {
  const c = p.consumer !== null;
  const g = p.consumer_group !== null;
  const r = p.route !== null;
  const s = p.service !== null;
  if (c && r && s) return 10;
  if (g && r && s) return 9;
  if (c && r) return 8;
  if (g && r) return 7.5;
  if (c && s) return 7;
  if (g && s) return 6.5;
  if (r && s) return 6;
  if (c) return 5;
  if (g) return 4.5;
  if (r) return 4;
  if (s) return 3;
  return 1;
}

/** The instances that apply to a request on `route` by `consumer` (null before authentication). */
export function resolvePlugins(config: Config, route: Route, consumer: Consumer | null): PluginInstance[] {
  const best = new Map<string, PluginInstance>();
  for (const p of config.plugins) {
    if (!p.enabled) continue;
    // A plugin limited to protocols the route never serves does not apply to it.
    if (!p.protocols.some((x) => route.protocols.includes(x))) continue;
    if (p.route !== null && p.route !== route.id) continue;
    if (p.service !== null && p.service !== route.service) continue;
    if (p.consumer !== null && (consumer === null || p.consumer !== consumer.id)) continue;
    if (p.consumer_group !== null) {
      const group = config.consumer_groups.find((g) => g.id === p.consumer_group);
      if (consumer === null || group === undefined || !consumer.groups.includes(group.name)) continue;
    }
    const prev = best.get(p.name);
    if (prev === undefined || specificity(p) > specificity(prev)) best.set(p.name, p);
  }
  return [...best.values()];
}

function buildChain(instances: PluginInstance[], handlersOf: (p: PluginInstance) => PluginHandlers, catalogue: Catalogue): Chain | null {
  if (instances.length === 0) return null;
  const entries: ChainEntry[] = instances
    .map((instance) => {
      const def = catalogue.get(instance.name);
      if (def === undefined) throw new Error(`plugin ${instance.name} is not supported`);
      return { name: def.name, priority: def.priority, instance, handlers: handlersOf(instance), authenticates: def.authenticates === true };
    })
    .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
  const withAccess = entries.filter((e) => e.handlers.access !== undefined);
  const header = entries.flatMap((e) => (e.handlers.header ? [e.handlers.header] : []));
  const log = entries.flatMap((e) => (e.handlers.log ? [e.handlers.log] : []));
  const bufferResponse = entries.flatMap((e) => (e.handlers.bufferResponseBody ? [e.handlers.bufferResponseBody] : []));
  const body = entries.flatMap((e) => (e.handlers.body ? [e.handlers.body] : []));
  return {
    entries,
    access: withAccess.map((e) => e.handlers.access! as (ctx: PluginContext, body: RequestBodyCapability) => AccessResult),
    accessPriority: withAccess.map((e) => e.priority),
    accessAuth: withAccess.map((e) => e.authenticates),
    header: header.length ? header : null,
    log: log.length ? log : null,
    byConsumer: null,
    bufferRequestBody: entries.some((e) => e.handlers.bufferRequestBody === true),
    bufferResponse: bufferResponse.length ? bufferResponse : null,
    body: body.length ? body : null,
  };
}

export function consumerIndex(config: Config): ConsumerIndex {
  const byId = new Map(config.consumers.map((c) => [c.id, c]));
  const byName = new Map<string, Consumer>();
  const byCustom = new Map<string, Consumer>();
  for (const c of config.consumers) {
    if (c.username !== null) byName.set(c.username, c);
    if (c.custom_id !== null) byCustom.set(c.custom_id, c);
  }
  const groups = new Map<string, string[]>();
  for (const c of config.consumers) groups.set(c.id, [...c.groups]);
  for (const a of config.acls) groups.get(a.consumer)?.push(a.group);
  return {
    byId,
    find: (ref) => byId.get(ref) ?? byName.get(ref) ?? byCustom.get(ref),
    groups: (id) => groups.get(id) ?? [],
  };
}

/** Plugin state that outlives a snapshot: keyed by plugin identity + config, see PluginCreateContext. */
export class PluginStateStore {
  private readonly live = new Map<string, unknown>();
  private used = new Set<string>();

  /** Starts a compile: from now on, `used` records what the new snapshot asks for. */
  begin(): void {
    this.used = new Set();
  }

  get<T>(key: string, init: () => T): T {
    this.used.add(key);
    if (!this.live.has(key)) this.live.set(key, init());
    return this.live.get(key) as T;
  }

  /** After a swap: forget state no plugin of the new snapshot asked for. */
  sweep(): void {
    for (const k of this.live.keys()) if (!this.used.has(k)) this.live.delete(k);
  }
}

/**
 * Builds every route's chain for a snapshot, with the plugins of `catalogue` (the process's
 * active one: bundled + custom, src/plugins/catalogue.ts). Each plugin instance is created once and shared by
 * every chain that uses it.
 */
export function compileChains(config: Config, routes: readonly Route[], store: PluginStateStore, shared: SharedArrayBuffer, catalogue: Catalogue = activeCatalogue()): Map<Route, Chain | null> {
  store.begin();
  const consumers = consumerIndex(config);
  const ctx: PluginCreateContext = { config, consumers, state: (k, init) => store.get(k, init), shared };
  const created = new Map<string, PluginHandlers>();
  const handlersOf = (p: PluginInstance): PluginHandlers => {
    let h = created.get(p.id);
    if (h === undefined) {
      h = catalogue.get(p.name)!.create(p, ctx);
      created.set(p.id, h);
    }
    return h;
  };
  const consumerScoped = config.plugins.some((p) => p.enabled && (p.consumer !== null || p.consumer_group !== null));
  const out = new Map<Route, Chain | null>();
  for (const route of routes) {
    const base = resolvePlugins(config, route, null);
    let chain = buildChain(base, handlersOf, catalogue);
    if (consumerScoped) {
      const byConsumer = new Map<string, Chain>();
      for (const consumer of config.consumers) {
        const mine = resolvePlugins(config, route, consumer);
        if (sameInstances(mine, base)) continue;
        const c = buildChain(mine, handlersOf, catalogue);
        if (c !== null) byConsumer.set(consumer.id, c);
      }
      if (byConsumer.size > 0) {
        chain ??= buildChain([], handlersOf, catalogue) ?? emptyChain();
        chain.byConsumer = byConsumer;
        // The body is read (or not) before authentication picks the consumer's chain.
        for (const c of byConsumer.values()) if (c.bufferRequestBody) chain.bufferRequestBody = true;
      }
    }
    out.set(route, chain);
  }
  return out;
}

function emptyChain(): Chain {
  return { entries: [], access: [], accessPriority: [], accessAuth: [], header: null, log: null, byConsumer: null, bufferRequestBody: false, bufferResponse: null, body: null };
}

function sameInstances(a: PluginInstance[], b: PluginInstance[]): boolean {
  if (a.length !== b.length) return false;
  const ids = new Set(b.map((p) => p.id));
  return a.every((p) => ids.has(p.id));
}
