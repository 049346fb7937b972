import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { err, type Issue, type JsonPath } from './issues.js';

export interface SecretsResult {
  issues: Issue[];
  /** Document paths whose value came from a vault reference. */
  secretPaths: JsonPath[];
  /** Absolute paths of files read through {vault://file/...}. */
  referencedFiles: string[];
  /** With `offline`: document paths of references left unresolved (their text stays in place). */
  referencePaths: JsonPath[];
}

export interface SecretsOptions {
  /** Check each reference's syntax and backend, resolve none (`--offline`: CI without secrets). */
  offline?: boolean;
}

const REF = /^\{vault:\/\/([^/}]+)\/([^}]*)\}$/;

/** Kong's env vault: `{vault://env/my-key}` reads MY_KEY. */
export function envName(ref: string): string {
  return ref.toUpperCase().replace(/-/g, '_');
}

/**
 * Replaces, in place, every string value `{vault://env/NAME}` / `{vault://file/PATH}` by what it
 * refers to. An unquoted reference (YAML reads `{vault://env/x}` as a one-key map) is an error
 * that says to quote it.
 */
export function resolveSecrets(root: unknown, file: string, env: NodeJS.ProcessEnv, opts: SecretsOptions = {}): SecretsResult {
  const out: SecretsResult = { issues: [], secretPaths: [], referencedFiles: [], referencePaths: [] };
  const baseDir = file === '<string>' ? process.cwd() : dirname(resolve(file));

  const resolveRef = (text: string, path: JsonPath): string | undefined => {
    const m = REF.exec(text.trim());
    if (!m) {
      out.issues.push(err(path, `malformed vault reference ${text}: expected {vault://env/NAME} or {vault://file/PATH}`));
      return undefined;
    }
    const [, backend, name] = m as unknown as [string, string, string];
    if (name === '') {
      out.issues.push(err(path, `vault reference ${text} names nothing`));
      return undefined;
    }
    if (opts.offline === true) {
      if (backend !== 'env' && backend !== 'file') out.issues.push(err(path, `unsupported vault "${backend}" in ${text} (Sluice supports env and file)`));
      else out.referencePaths.push(path);
      return undefined;
    }
    if (backend === 'env') {
      const v = env[envName(name)];
      if (v === undefined) {
        out.issues.push(err(path, `cannot resolve ${text}: environment variable ${envName(name)} is not set`));
        return undefined;
      }
      return v;
    }
    if (backend === 'file') {
      const abs = resolve(baseDir, name);
      if (!out.referencedFiles.includes(abs)) out.referencedFiles.push(abs);
      try {
        return readFileSync(abs, 'utf8').trim();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
        out.issues.push(err(path, `cannot resolve ${text}: cannot read ${abs} (${code})`));
        return undefined;
      }
    }
    out.issues.push(err(path, `cannot resolve ${text}: unsupported vault "${backend}" (Sluice supports env and file)`));
    return undefined;
  };

  // Iterative, and each container once: the loader refuses cycles and deep nesting (shape.ts),
  // and this walk would survive them anyway.
  // A path is a linked list (parent, key) made into an array only when reported: copying it
  // at every level costs the square of the depth.
  interface At { parent: At | null; key: string | number }
  const toPath = (at: At | null): JsonPath => {
    const p: JsonPath = [];
    for (let a = at; a !== null; a = a.parent) p.push(a.key);
    return p.reverse();
  };
  const seen = new Set<object>();
  const stack: Array<{ value: unknown; at: At | null; set: (v: unknown) => void }> = [{ value: root, at: null, set: () => undefined }];
  while (stack.length > 0) {
    const { value, at, set } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.trimStart().startsWith('{vault://')) {
        const path = toPath(at);
        const v = resolveRef(value, path);
        if (v !== undefined) {
          set(v);
          out.secretPaths.push(path);
        }
      }
      continue;
    }
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], at: { parent: at, key: i }, set: (v) => (value[i] = v) });
      continue;
    }
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0]!.startsWith('vault://') && obj[keys[0]!] === null) {
      const ref = `{${keys[0]}}`;
      out.issues.push({ ...err(toPath(at), `unquoted vault reference ${ref}: YAML reads it as a map; quote it: "${ref}"`), subtree: true });
      continue;
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      stack.push({ value: obj[k], at: { parent: at, key: k }, set: (v) => (obj[k] = v) });
    }
  }
  return out;
}
