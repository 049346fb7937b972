import type { ConsumerIndex, PluginContext, PluginResponse } from './types.js';

/**
 * Kong's `anonymous` option shared by the authentication plugins: when set, a failed
 * authentication continues as that consumer (with X-Anonymous-Consumer: true) instead of 401,
 * which is also how several auth plugins on one route combine ("any one succeeding").
 * Returns null when the option is unset. A reference to a consumer that does not exist answers
 * 500, as Kong does (validation reports it too).
 */
export function anonymousFallback(ref: string | null, consumers: ConsumerIndex): ((req: PluginContext) => PluginResponse | void) | null {
  if (ref === null || ref === '') return null;
  const consumer = consumers.find(ref);
  return (req) => {
    if (req.consumer !== null) return; // an earlier plugin already authenticated someone
    if (consumer === undefined) return { status: 500, message: `anonymous consumer ${ref} is configured but doesn't exist` };
    req.authenticate(consumer, null, true);
  };
}
