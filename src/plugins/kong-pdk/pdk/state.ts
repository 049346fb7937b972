/** The per-call state every PDK namespace reads: one phase call of one plugin on one request. */
import type { ConsumerIndex, LogInfo, PluginContext, PluginResponse, RequestBodyCapability } from '../../types.js';

export type KongPhase = 'rewrite' | 'access' | 'response' | 'log';

/** What one phase call of one plugin on one request can see and change. */
export class KongState {
  /** The answer kong.response.exit chose (access/rewrite: the request's response; response: the new body). */
  exit: PluginResponse | null = null;
  /** Response phase: the upstream response body (kong.service.response.get_raw_body), and the status. */
  body: Buffer | null = null;
  status = 0;
  info: LogInfo | null = null;
  constructor(
    readonly req: PluginContext,
    readonly plugin: string,
    readonly phase: KongPhase,
    readonly consumers: ConsumerIndex,
    /**
     * The request body capability, for a plugin whose code reads bodies (adapter.ts): the one its
     * access phase got, in rewrite, access and response; null otherwise (the body streamed).
     */
    readonly requestBody: RequestBodyCapability | null = null,
  ) {}
}
