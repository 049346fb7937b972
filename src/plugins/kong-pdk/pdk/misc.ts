/** The small namespaces: kong.log, kong.ctx, kong.router, kong.node, kong.ip. */
import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import type { PluginContext } from '../../types.js';
import { pluginLog } from '../../custom/runtime.js';
import { pdkClass } from './functions.js';
import type { KongState } from './state.js';

const LOG_LEVELS = { debug: 'debug', info: 'info', notice: 'info', warn: 'warn', err: 'error', crit: 'fatal', alert: 'fatal', emerg: 'fatal' } as const;

type KongLevel = keyof typeof LOG_LEVELS;

type LogFunctions = { [L in KongLevel]: (...args: unknown[]) => Promise<void> };

/** kong.log.<level>(...): one Sluice log line with the plugin, phase and request id (methods below). */
export class Log {
  constructor(readonly s: KongState) {}
}
export interface Log extends LogFunctions {}
for (const level of Object.keys(LOG_LEVELS) as KongLevel[]) {
  Object.defineProperty(Log.prototype, level, {
    async value(this: Log, ...args: unknown[]): Promise<void> {
      const msg = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      pluginLog(LOG_LEVELS[level], { plugin: this.s.plugin, phase: this.s.phase, request_id: this.s.req.requestId, kong_level: level }, msg);
    },
    writable: true,
    configurable: true,
  });
}
pdkClass(Log, 'log');

/** kong.ctx.shared / kong.ctx.plugin: per-request tables, with kong-js-pdk's get/set. */
class CtxTable {
  constructor(private readonly map: Map<string, unknown>) {}
  async get(k: string): Promise<unknown> {
    return this.map.get(k);
  }
  async set(k: string, v: unknown): Promise<void> {
    this.map.set(k, v);
  }
}
pdkClass(CtxTable, 'ctx');

const sharedTables = new WeakMap<PluginContext, Map<string, unknown>>();
const pluginTables = new WeakMap<PluginContext, Map<string, Map<string, unknown>>>();

export class Ctx {
  constructor(private readonly s: KongState) {}
  get shared(): CtxTable {
    let m = sharedTables.get(this.s.req);
    if (m === undefined) sharedTables.set(this.s.req, (m = new Map()));
    return new CtxTable(m);
  }
  get plugin(): CtxTable {
    let all = pluginTables.get(this.s.req);
    if (all === undefined) pluginTables.set(this.s.req, (all = new Map()));
    let m = all.get(this.s.plugin);
    if (m === undefined) all.set(this.s.plugin, (m = new Map()));
    return new CtxTable(m);
  }
}

export class Router {
  constructor(private readonly s: KongState) {}
  async getRoute(): Promise<unknown> {
    return this.s.req.route;
  }
  async getService(): Promise<unknown> {
    return this.s.req.service;
  }
}
pdkClass(Router, 'router');

const NODE_ID = (() => {
  const h = createHash('sha256').update(`${hostname()}\0${process.pid}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
})();

export class Node {
  async getId(): Promise<string> {
    return NODE_ID;
  }
  async getHostname(): Promise<string> {
    return hostname();
  }
}
pdkClass(Node, 'node');

export class Ip {
  /** Sluice trusts no forwarding proxy (Kong's default trusted_ips is empty). */
  async isTrusted(_ip: string): Promise<boolean> {
    return false;
  }
}
pdkClass(Ip, 'ip');
