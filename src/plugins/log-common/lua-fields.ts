import type { PluginConfigProblem } from '../types.js';

/**
 * Kong's logging plugins take `custom_fields_by_lua` (Lua snippets run per request). Sluice runs
 * no Lua: an empty value (null, {} or [] — what Kong's own dumps contain) is accepted, anything
 * else is a configuration error.
 */
export function checkNoLua(config: Record<string, unknown>, field = 'custom_fields_by_lua', path: Array<string | number> = []): PluginConfigProblem[] {
  const v = config[field];
  if (v === null || v === undefined) return [];
  const empty = Array.isArray(v) ? v.length === 0 : typeof v === 'object' && Object.keys(v).length === 0;
  if (empty) return [];
  return [{ path: [...path, field], message: `${field} is not supported: Sluice runs no Lua code (remove it, or leave it empty)` }];
}

/** The JSON Schema of a `custom_fields_by_lua` property (validated further by checkNoLua). */
export const LUA_FIELD_DESCRIPTION = 'Kong runs these Lua snippets per request; Sluice runs no Lua, so only an empty value is accepted.';
