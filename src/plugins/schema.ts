import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** schemas/ at the repository root (this file is src/plugins/schema.ts or dist/plugins/schema.js). */
const SCHEMAS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas', 'plugins');

/** The JSON Schema of a plugin's `config`: schemas/plugins/<name>.json, the single source of truth. */
export function pluginSchema(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMAS, `${name}.json`), 'utf8')) as Record<string, unknown>;
}
