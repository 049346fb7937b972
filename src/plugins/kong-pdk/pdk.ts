/**
 * Kong's PDK for JavaScript plugins (the `kong` object kong-js-pdk hands to a phase), run
 * in-process: each function is async, as in kong-js-pdk, under its camelCase and its snake_case
 * name, and behaves as Kong's PDK documents it. A function Sluice does not have rejects with an
 * error that names it (the request then gets a JSON 500; the name is logged once).
 *
 * One module per namespace under pdk/ (request, client, service, response, misc for the small
 * ones); pdk/functions.ts gives them Kong's names and the unsupported-function fallback. The API
 * objects are small classes over one per-call state (pdk/state.ts), created lazily: a plugin that
 * only sets one header costs a handful of allocations per request.
 */
import { Client } from './pdk/client.js';
import { lazyNamespaces, pdkRoot } from './pdk/functions.js';
import { Ctx, Ip, Log, Node, Router } from './pdk/misc.js';
import { Request } from './pdk/request.js';
import { Response } from './pdk/response.js';
import { Service } from './pdk/service.js';
import type { KongState } from './pdk/state.js';

export { PdkUnsupportedError } from './pdk/functions.js';
export { KongState, type KongPhase } from './pdk/state.js';

const node = new Node();
const ip = new Ip();

/** The `kong` object handed to one phase call: its namespaces are made on first use. */
export class Kong {
  constructor(readonly state: KongState) {}
  get node(): Node {
    return node;
  }
  get ip(): Ip {
    return ip;
  }
}
export interface Kong {
  readonly request: Request;
  readonly client: Client;
  readonly service: Service;
  readonly response: Response;
  readonly log: Log;
  readonly ctx: Ctx;
  readonly router: Router;
}
lazyNamespaces(Kong, { request: Request, client: Client, service: Service, response: Response, log: Log, ctx: Ctx, router: Router });
pdkRoot(Kong);
