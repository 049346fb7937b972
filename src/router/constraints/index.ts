/**
 * The route attributes a request is tested against, besides its path, in the order they are
 * tested (cheap and selective first). A new attribute: a module implementing `Constraint` (see
 * ./types.ts) and one line here. Its weight in Kong's priority comes with it (`weighs`).
 */
import type { Constraint } from './types.js';
import { methods } from './methods.js';
import { protocols } from './protocols.js';
import { hosts } from './hosts.js';
import { snis } from './snis.js';
import { headers } from './headers.js';

export const CONSTRAINTS: ReadonlyArray<Constraint<unknown>> = [methods, protocols, hosts, snis, headers];

export type { Constraint, RequestView } from './types.js';
