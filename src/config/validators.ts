import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { ajv as ajvModule, ajvFormats, lazy } from '../lazy.js';

/**
 * The validators of schemas/gateway.schema.json and schemas/plugins/*.json.
 *
 * `npm run build` compiles them ahead of time into dist/config/validators.cjs (ajv's standalone
 * code, scripts/build-validators.js). Compiling the 80 KB gateway schema at run time costs ~25 MB
 * of heap that V8 keeps as RSS, plus ajv itself, in the process that watches the file: the
 * precompiled module needs neither. It records a hash of the schemas and of ajv's version; when
 * it is missing or stale (a schema edited without a rebuild), the validators are compiled at run
 * time with the same options, so the result never depends on which path was taken.
 */
export interface Validators {
  readonly gateway: ValidateFunction;
  /** The validator of a plugin's `config`, by plugin name; undefined for a plugin with no schema file. */
  plugin(name: string): ValidateFunction | undefined;
  /** 'precompiled' or 'runtime': which path produced them (tests and `sluice validate --verbose` say so). */
  readonly source: 'precompiled' | 'runtime';
}

type Ajv = InstanceType<ReturnType<typeof ajvModule>['default']>;
const ajvStandalone = lazy<{ default: (a: Ajv, refs: Record<string, string>) => string }>('ajv/dist/standalone');
const ajvPackage = lazy<{ version: string }>('ajv/package.json');

/** The one set of ajv options for the configuration schemas, at build time and at run time. */
function makeAjv(source: boolean): Ajv {
  // Required lazily: a process running the precompiled validators never loads ajv.
  const ajv = new (ajvModule().default)({ allErrors: true, useDefaults: true, verbose: true, strict: false, allowUnionTypes: true, code: { source } });
  ajvFormats().default(ajv);
  // Annotations read by ajvIssues (x-message) and by secretChains (x-secret): no validation.
  ajv.addKeyword({ keyword: 'x-message', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  return ajv;
}

/** schemas/ at the repository root, from src/config/ (tests) or dist/config/ (built). */
export function schemasDir(): string {
  const candidates = ['../../schemas', '../../../schemas'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((p) => existsSync(`${p}/gateway.schema.json`)) ?? candidates[0]!;
}

export interface SchemaInputs {
  gateway: string;
  plugins: Array<[name: string, text: string]>;
  hash: string;
}

export function schemaInputs(): SchemaInputs {
  const dir = schemasDir();
  const gateway = readFileSync(`${dir}/gateway.schema.json`, 'utf8');
  const plugins = readdirSync(`${dir}/plugins`)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f): [string, string] => [f.slice(0, -5), readFileSync(`${dir}/plugins/${f}`, 'utf8')]);
  const h = createHash('sha256');
  h.update(`ajv ${ajvPackage().version}\0`);
  h.update(gateway);
  for (const [name, text] of plugins) h.update(`\0${name}\0${text}`);
  return { gateway, plugins, hash: h.digest('hex') };
}

/**
 * The gateway schema as Sluice validates with it: without `definitions.plugin_config`, the
 * editor-only if/then per plugin name (scripts/editor-schema.js). Sluice checks each plugin's
 * config with that plugin's own validator (validate.ts: one message per problem, custom plugins
 * from --plugins-dir accepted), so the branches would only report the same errors twice.
 */
export function runtimeGatewaySchema(text: string): object {
  const schema = JSON.parse(text) as { definitions?: Record<string, unknown> };
  if (schema.definitions?.plugin_config !== undefined) schema.definitions.plugin_config = {};
  return schema;
}

/** Export names in the generated module: `gateway`, and `plugin_<name>` with `-` as `_`. */
const exportName = (plugin: string): string => `plugin_${plugin.replace(/-/g, '_')}`;

/** The standalone module (CommonJS source) with every configuration validator: scripts/build-validators.js writes it. */
export function generateValidatorModule(): string {
  const inputs = schemaInputs();
  const ajv = makeAjv(true);
  const refs: Record<string, string> = { gateway: 'gateway' };
  ajv.addSchema(runtimeGatewaySchema(inputs.gateway), 'gateway');
  for (const [name, text] of inputs.plugins) {
    ajv.addSchema(JSON.parse(text) as object, `plugin:${name}`);
    refs[exportName(name)] = `plugin:${name}`;
  }
  return `${ajvStandalone().default(ajv, refs)}\nexports.inputsHash = ${JSON.stringify(inputs.hash)};\n`;
}

/** The precompiled validators when dist/config/validators.cjs exists and matches the schemas, else null. */
export function loadPrecompiled(inputs: SchemaInputs = schemaInputs()): Validators | null {
  const candidates = ['./validators.cjs', '../../dist/config/validators.cjs'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const file = candidates.find((p) => existsSync(p));
  if (file === undefined) return null;
  const mod = lazy<Record<string, unknown>>(file)();
  if (mod.inputsHash !== inputs.hash) return null;
  return {
    gateway: mod.gateway as ValidateFunction,
    plugin: (name) => mod[exportName(name)] as ValidateFunction | undefined,
    source: 'precompiled',
  };
}

/** Compiles the validators with ajv in this process (each plugin's on first use). */
export function compileAtRuntime(inputs: SchemaInputs = schemaInputs()): Validators {
  const texts = new Map(inputs.plugins);
  return {
    gateway: compileSchema(runtimeGatewaySchema(inputs.gateway)),
    plugin(name) {
      const text = texts.get(name);
      return text === undefined ? undefined : compileSchema(JSON.parse(text) as object, name);
    },
    source: 'runtime',
  };
}

let runtimeAjv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

/**
 * A schema compiled in this process: the fallback, and plugins registered without a schema file
 * (tests). Cached by `key` when one is given.
 */
export function compileSchema(schema: object, key?: string): ValidateFunction {
  let v = key === undefined ? undefined : compiled.get(key);
  if (v === undefined) {
    v = (runtimeAjv ??= makeAjv(false)).compile(schema);
    if (key !== undefined) compiled.set(key, v);
  }
  return v;
}

let current: Validators | undefined;

/** The process's validators, loaded (or compiled) on first use. */
export function validators(): Validators {
  if (current === undefined) {
    const inputs = schemaInputs();
    current = loadPrecompiled(inputs) ?? compileAtRuntime(inputs);
  }
  return current;
}

/**
 * The property-name chains of a plugin schema's `"x-secret": true` fields (for example
 * `['redis', 'password']`). Secrets are marked on properties only, so following `properties`
 * finds them all; a unit test checks that against every schema file.
 */
export function secretChains(schema: unknown, prefix: readonly string[] = []): string[][] {
  const out: string[][] = [];
  if (typeof schema !== 'object' || schema === null) return out;
  const props = (schema as { properties?: unknown }).properties;
  if (typeof props !== 'object' || props === null) return out;
  for (const [key, sub] of Object.entries(props as Record<string, unknown>)) {
    const chain = [...prefix, key];
    if (typeof sub === 'object' && sub !== null && (sub as Record<string, unknown>)['x-secret'] === true) out.push(chain);
    out.push(...secretChains(sub, chain));
  }
  return out;
}
