import type { PluginDefinition } from './types.js';
import { providePluginLookup } from '../config/plugin-lookup.js';
import { keyAuth } from './key-auth/index.js';
import { basicAuth } from './basic-auth/index.js';
import { jwt } from './jwt/index.js';
import { hmacAuth } from './hmac-auth/index.js';
import { acl } from './acl/index.js';
import { forwardAuth } from './forward-auth/index.js';
import { oauth2Introspection } from './oauth2-introspection/index.js';
import { openidConnect } from './openid-connect/index.js';
import { requestTermination } from './request-termination/index.js';
import { rateLimiting } from './rate-limiting/index.js';
import { throttling } from './throttling/index.js';
import { requestSizeLimiting } from './request-size-limiting/index.js';
import { ipRestriction } from './ip-restriction/index.js';
import { botDetection } from './bot-detection/index.js';
import { cors } from './cors/index.js';
import { correlationId } from './correlation-id/index.js';
import { proxyCache } from './proxy-cache/index.js';
import { requestTransformer } from './request-transformer/index.js';
import { responseTransformer } from './response-transformer/index.js';
import { requestValidator } from './request-validator/index.js';
import { prometheus } from './prometheus/index.js';
import { fileLog } from './file-log/index.js';
import { httpLog } from './http-log/index.js';
import { tcpLog } from './tcp-log/index.js';
import { udpLog } from './udp-log/index.js';
import { syslog } from './syslog/index.js';
import { opentelemetry } from './opentelemetry/index.js';

/** The plugins Sluice bundles (SPEC §5), each in src/plugins/<name>/, all written against the native API. */
export const BUNDLED: readonly PluginDefinition[] = [
  keyAuth, basicAuth, jwt, hmacAuth, acl, forwardAuth, oauth2Introspection, openidConnect,
  requestTermination, rateLimiting, throttling, requestSizeLimiting, ipRestriction, botDetection, cors, correlationId, proxyCache,
  requestTransformer, responseTransformer, requestValidator,
  prometheus, fileLog, httpLog, tcpLog, udpLog, syslog, opentelemetry,
];

/** Where a custom plugin came from (for reload watching and error messages). */
export interface PluginOrigin {
  /** Absolute path of the plugin's file (or its folder's index.js). */
  file: string;
  /** 'kong' (kong-js-pdk module) or 'native' (Sluice's plugin API). */
  format: 'kong' | 'native';
}

/**
 * The plugins one gateway knows: the bundled ones and the custom ones loaded from the plugin
 * directories, one table in priority order (higher first, then by name). Validation and
 * compilation look plugins up here; nothing else holds a list of plugins.
 */
export class Catalogue {
  readonly definitions: readonly PluginDefinition[];
  private readonly byName: Map<string, PluginDefinition>;

  constructor(
    definitions: readonly PluginDefinition[],
    /** Custom plugins by name: where each came from. */
    readonly custom: ReadonlyMap<string, PluginOrigin> = new Map(),
    /** Changes whenever a plugin file changes (a reload then builds a new snapshot). */
    readonly version = '',
  ) {
    this.definitions = [...definitions].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
    this.byName = new Map(this.definitions.map((d) => [d.name, d]));
  }

  get(name: string): PluginDefinition | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return this.definitions.map((d) => d.name);
  }
}

/** The catalogue of the bundled plugins only. */
export const BUNDLED_CATALOGUE = new Catalogue(BUNDLED);

let active: Catalogue = BUNDLED_CATALOGUE;
providePluginLookup(() => active);

/**
 * The catalogue this process (main thread, worker, or `sluice validate`) serves with: set once
 * the plugin directories are loaded, and again on each reload that changed a plugin file.
 */
export function activeCatalogue(): Catalogue {
  return active;
}

export function setActiveCatalogue(c: Catalogue): void {
  active = c;
}
