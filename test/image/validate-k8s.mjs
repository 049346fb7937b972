#!/usr/bin/env node
// Validates rendered Kubernetes manifests (`kubectl kustomize deploy/kubernetes | node
// test/image/validate-k8s.mjs`, or file arguments) against Kubernetes' API types, offline:
//
//   1. kubernetes-models' validators (its JSON schemas from Kubernetes' OpenAPI: types, required
//      fields, enums) -- they let unknown fields through;
//   2. unknown fields (a typo such as `protocl:` or a field at the wrong level), checked against
//      the same models' TypeScript declarations, read with the TypeScript compiler: every key of
//      every object must be a property of its type (or fall under an index signature).
//
// Prints one line per problem (`Kind/name: path: message`) and exits 1 on any, 0 otherwise.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import YAML from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// apiVersion + kind -> the kubernetes-models module and its interface.
const KINDS = {
  'apps/v1 Deployment': ['kubernetes-models/apps/v1/Deployment', 'Deployment'],
  'v1 Service': ['kubernetes-models/v1/Service', 'Service'],
  'v1 ConfigMap': ['kubernetes-models/v1/ConfigMap', 'ConfigMap'],
  'v1 Secret': ['kubernetes-models/v1/Secret', 'Secret'],
  'v1 ServiceAccount': ['kubernetes-models/v1/ServiceAccount', 'ServiceAccount'],
  'policy/v1 PodDisruptionBudget': ['kubernetes-models/policy/v1/PodDisruptionBudget', 'PodDisruptionBudget'],
  'autoscaling/v2 HorizontalPodAutoscaler': ['kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler', 'HorizontalPodAutoscaler'],
  'networking.k8s.io/v1 NetworkPolicy': ['kubernetes-models/networking.k8s.io/v1/NetworkPolicy', 'NetworkPolicy'],
};

const input = process.argv.length > 2 ? process.argv.slice(2).map((f) => readFileSync(f, 'utf8')).join('\n---\n') : readFileSync(0, 'utf8');
const docs = YAML.parseAllDocuments(input).map((d) => d.toJS()).filter((d) => d !== null && d !== undefined);

// One TypeScript program that names every interface, so the checker can resolve them.
const entry = join(here, '.k8s-types.generated.ts');
const source = Object.values(KINDS)
  .map(([mod, name], i) => `import type { I${name} as T${i} } from ${JSON.stringify(mod)};\nexport declare const k${i}: T${i};`)
  .join('\n');
const host = ts.createCompilerHost({});
const realRead = host.readFile.bind(host);
host.readFile = (f) => (f === entry ? source : realRead(f));
const realExists = host.fileExists.bind(host);
host.fileExists = (f) => f === entry || realExists(f);
const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true, skipLibCheck: true }, host);
const checker = program.getTypeChecker();
const sf = program.getSourceFile(entry);
const typeOf = {};
for (const stmt of sf.statements) {
  if (ts.isVariableStatement(stmt)) {
    const decl = stmt.declarationList.declarations[0];
    typeOf[decl.name.text] = checker.getTypeAtLocation(decl);
  }
}

function closest(name, candidates) {
  const d = (a, b) => {
    const m = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) m[0][j] = j;
    for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) m[i][j] = Math.min(m[i - 1][j] + 1, m[i][j - 1] + 1, m[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return m[a.length][b.length];
  };
  const best = candidates.map((c) => [c, d(name, c)]).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(name.length / 3)) ? `; did you mean "${best[0]}"?` : '';
}

/** The object types a (possibly union, possibly nullable) type allows. */
function objectParts(type) {
  const t = checker.getNonNullableType(type);
  const parts = t.isUnion() ? t.types : [t];
  return parts.filter((p) => (p.flags & ts.TypeFlags.Object) !== 0);
}

function unknownFields(value, type, path, out) {
  if (value === null || typeof value !== 'object') return;
  const parts = objectParts(type);
  if (parts.length === 0) return;
  if (Array.isArray(value)) {
    const arr = parts.find((p) => checker.isArrayType(p));
    if (!arr) return;
    const elem = checker.getTypeArguments(arr)[0];
    value.forEach((v, i) => unknownFields(v, elem, `${path}[${i}]`, out));
    return;
  }
  const obj = parts.find((p) => !checker.isArrayType(p)) ?? parts[0];
  const props = checker.getPropertiesOfType(obj);
  const index = checker.getIndexTypeOfType(obj, ts.IndexKind.String);
  for (const [key, v] of Object.entries(value)) {
    const prop = props.find((p) => p.name === key);
    if (prop) {
      unknownFields(v, checker.getTypeOfSymbol(prop), `${path}.${key}`, out);
    } else if (index) {
      unknownFields(v, index, `${path}.${key}`, out);
    } else {
      out.push(`${path}.${key}: unknown field${closest(key, props.map((p) => p.name))}`);
    }
  }
}

const problems = [];
const seen = {};
for (const doc of docs) {
  const key = `${doc.apiVersion} ${doc.kind}`;
  const what = `${doc.kind}/${doc.metadata?.name ?? '?'}`;
  seen[doc.kind] = (seen[doc.kind] ?? 0) + 1;
  const entryIndex = Object.keys(KINDS).indexOf(key);
  if (entryIndex < 0) {
    problems.push(`${what}: no schema here for ${key}`);
    continue;
  }
  const [mod, name] = KINDS[key];
  const Model = (await import(mod))[name];
  try {
    new Model(doc).validate();
  } catch (e) {
    for (const line of String(e.message ?? e).split('\n')) problems.push(`${what}: ${line}`);
  }
  const out = [];
  unknownFields(doc, typeOf[`k${entryIndex}`], '', out);
  for (const p of out) problems.push(`${what}: ${p.replace(/^\./, '')}`);
}
for (const p of problems) console.log(p);
console.log(`${docs.length} objects (${Object.entries(seen).map(([k, n]) => `${n} ${k}`).join(', ')}): ${problems.length} problem(s)`);
process.exit(problems.length === 0 && docs.length > 0 ? 0 : 1);
