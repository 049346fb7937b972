import type { PluginDefinition } from '../types.js';
import { requestTermination } from '../request-termination/index.js';
import { rateLimiting } from '../rate-limiting/index.js';
import { throttling } from '../throttling/index.js';
import { requestSizeLimiting } from '../request-size-limiting/index.js';
import { ipRestriction } from '../ip-restriction/index.js';
import { botDetection } from '../bot-detection/index.js';
import { cors } from '../cors/index.js';
import { correlationId } from '../correlation-id/index.js';
import { proxyCache } from '../proxy-cache/index.js';

/** Traffic-control and security plugins (SPEC §5), and correlation-id. Each plugin lives in src/plugins/<name>/. */
export const PLUGINS: PluginDefinition[] = [requestTermination, rateLimiting, throttling, requestSizeLimiting, ipRestriction, botDetection, cors, correlationId, proxyCache];
