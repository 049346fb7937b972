// Writes definitions.plugin_config of schemas/gateway.schema.json from schemas/plugins/*.json:
// one if/then branch per plugin name (its `config` checked against that plugin's schema) and the
// list of known names, so that an editor (VS Code's YAML extension, JSON Schema draft-07) flags
// `name: key-auht` and `config: {polcy: local}`. Run it after adding or renaming a plugin schema:
//   node scripts/editor-schema.js
// Sluice itself ignores this definition (src/config/validators.ts, runtimeGatewaySchema): it
// validates each plugin's config with the plugin's own validator, and accepts custom plugins.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('../schemas/', import.meta.url);
const file = new URL('gateway.schema.json', dir);
const schema = JSON.parse(readFileSync(file, 'utf8'));
const names = readdirSync(new URL('plugins/', dir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
schema.definitions.plugin_config = {
  $comment: 'editor-only (scripts/editor-schema.js): each plugin config against its schema; ignored by Sluice, which validates plugins itself',
  type: 'object',
  properties: { name: { enum: names } },
  allOf: names.map((name) => ({
    if: { type: 'object', properties: { name: { const: name } }, required: ['name'] },
    then: { type: 'object', properties: { config: { $ref: `plugins/${name}.json` } } },
  })),
};
for (const def of ['plugin', 'service_plugin', 'route_plugin', 'consumer_plugin']) {
  schema.definitions[def].allOf = [{ $ref: '#/definitions/plugin_config' }];
}
writeFileSync(file, JSON.stringify(schema, null, 2) + '\n');
