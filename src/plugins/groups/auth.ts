import type { PluginDefinition } from '../types.js';
import { keyAuth } from '../key-auth/index.js';
import { basicAuth } from '../basic-auth/index.js';
import { jwt } from '../jwt/index.js';
import { hmacAuth } from '../hmac-auth/index.js';
import { acl } from '../acl/index.js';
import { forwardAuth } from '../forward-auth/index.js';
import { oauth2Introspection } from '../oauth2-introspection/index.js';
import { openidConnect } from '../openid-connect/index.js';

/** Authentication and authorization plugins (SPEC §5). Each plugin lives in src/plugins/<name>/. */
export const PLUGINS: PluginDefinition[] = [keyAuth, basicAuth, jwt, hmacAuth, acl, forwardAuth, oauth2Introspection, openidConnect];
