import jsYaml from 'js-yaml';
import type { JsonPath } from './issues.js';
import { MAX_DEPTH } from './shape.js';

/**
 * The fast first pass of the YAML loader (load.ts). The `yaml` package keeps every node with its
 * source range, which error messages need, but it parses about 0.5 MB/s: 2.7 s for a 1.4 MB file
 * of 10,000 routes and 10,000 consumers. js-yaml builds plain values about ten times faster.
 *
 * A valid file needs positions only for its entities (Config's `pos`), and those are objects:
 * a listener records where each object and array starts. Anything that needs exact positions
 * (an error, a warning) or where the two parsers could read the same text differently makes
 * load.ts parse again with `yaml`, so what users see is what `yaml` reads:
 *   - js-yaml rejects the text (syntax, duplicate keys, an unknown tag);
 *   - anchors and aliases (yaml limits how far aliases expand; js-yaml shares the objects);
 *   - a quoted or plain scalar or a flow collection continued on another line (js-yaml accepts
 *     continuation lines indented too little), and explicit tags;
 *   - a key js-yaml spells differently (`~:` is "" for yaml, "null" for js-yaml; a mapping as
 *     a key);
 *   - a %YAML or %TAG directive (`%YAML 1.1` changes how `yaml` reads scalars);
 *   - merge keys (`<<`), an empty sequence item, a sequence nested on its parent's line (`- - x`);
 *   - a top level that is not a mapping;
 *   - nesting deeper than shape.ts's MAX_DEPTH (js-yaml recurses, and so does what comes next).
 * The scalar types are YAML 1.2's core schema as `yaml` resolves it: js-yaml's own integers
 * also accept `0b101` and `+0x1f`, which `yaml` leaves as strings.
 */

type Obj = Record<string, unknown>;

export interface FastDocument {
  value: Obj;
  /** Start offset of the deepest object or array on `path` that came from the text. */
  offsetOf(path: JsonPath): number;
}

const scalar = (tag: string, test: RegExp, construct: (s: string) => unknown): jsYaml.Type =>
  new jsYaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (data: unknown) => typeof data === 'string' && test.test(data),
    construct: (data: string) => construct(data),
  });

// js-yaml's `<<` merge key type (exported at run time, not in @types/js-yaml).
const MERGE = (jsYaml as unknown as { types: { merge: jsYaml.Type } }).types.merge;

// The `yaml` package's core schema (yaml/dist/schema/core and common/null), in its order.
const SCHEMA = jsYaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    scalar('null', /^(?:~|[Nn]ull|NULL)?$/, () => null),
    scalar('bool', /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (s) => s[0] === 't' || s[0] === 'T'),
    scalar('int', /^(?:0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+)$/, (s) =>
      s.startsWith('0o') ? parseInt(s.slice(2), 8) : s.startsWith('0x') ? parseInt(s.slice(2), 16) : parseInt(s, 10)),
    scalar('float', /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$/, (s) =>
      s.endsWith('nan') || s.endsWith('NaN') || s.endsWith('NAN') ? NaN : s.includes('inf') || s.includes('Inf') || s.includes('INF') ? (s[0] === '-' ? -Infinity : Infinity) : parseFloat(s)),
    MERGE,
  ],
});

const TRICKY_SEQUENCE = /^[ \t]*-(?:[ \t]+-(?:[ \t]|\r?$)|[ \t]*(?:#.*)?\r?$)/m;

/** The document's value and container offsets, or null when load.ts must use `yaml` instead. */
export function parseFast(text: string): FastDocument | null {
  // A %YAML 1.1 directive makes `yaml` read `yes` as true and 010 as 8; %TAG defines tags.
  // Merge keys: js-yaml merges sources `yaml` rejects (a sequence of sequences). An empty
  // sequence item (`-` alone on its line) or a sequence nested on its parent's line (`- - x`):
  // js-yaml can attach the next, less indented item to the inner sequence.
  if (text.startsWith('%') || text.includes('\n%') || text.includes('<<') || TRICKY_SEQUENCE.test(text)) return null;
  const starts = new Map<object, number>();
  const opens: number[] = [];
  let handOver = false;
  const listener = (event: 'open' | 'close', state: jsYaml.State & { position: number; anchor: string | null; input: string }): void => {
    if (event === 'open') {
      opens.push(state.position);
      // Deep nesting: `yaml`'s pass refuses it with a position (shape.ts).
      if (opens.length > MAX_DEPTH) handOver = true;
      return;
    }
    const open = opens.pop()!;
    if (state.anchor !== null) handOver = true;
    const r = state.result as unknown;
    const collection = r !== null && typeof r === 'object';
    if (collection && !starts.has(r)) starts.set(r, open);
    if (!handOver && spansLines(state.input, open, state.position, collection)) handOver = true;
  };
  let value: unknown;
  try {
    // maxDepth (js-yaml >= 4.2, default 100, counting scalars too): past shape.ts's bound, so that
    // the two parsers refuse the same documents and `yaml`'s pass gives the message.
    value = jsYaml.load(text, { schema: SCHEMA, listener: listener as unknown as jsYaml.LoadOptions['listener'], maxDepth: MAX_DEPTH + 2 } as jsYaml.LoadOptions);
  } catch {
    return null;
  }
  if (handOver || value === null || typeof value !== 'object' || Array.isArray(value) || hasAmbiguousKey(value)) return null;
  // js-yaml drops a leading byte order mark before it counts positions; `yaml` counts it.
  const shift = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const root = value as Obj;
  const startOf = (node: object): number | undefined => {
    const at = starts.get(node);
    return at === undefined ? undefined : skipSpace(text, at + shift);
  };
  return {
    value: root,
    offsetOf(path) {
      let node: unknown = root;
      let offset = startOf(root) ?? 0;
      for (const seg of path) {
        const next = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[seg] : undefined;
        const at = next !== null && typeof next === 'object' ? startOf(next) : undefined;
        if (at === undefined) break;
        offset = at;
        node = next;
      }
      return offset;
    },
  };
}

/**
 * A quoted or plain scalar, or a flow collection (`[...]`, `{...}`), that continues on another
 * line. js-yaml accepts continuation lines that YAML requires to be indented deeper (`yaml`
 * rejects them), so such a node goes to `yaml`. Block collections and block scalars (`|`, `>`)
 * span lines by design and stay on the fast pass; a tagged node goes to `yaml` too.
 */
function spansLines(input: string, open: number, end: number, collection: boolean): boolean {
  const start = skipSpace(input, open);
  if (start >= end) return false;
  const c = input.charCodeAt(start);
  if (c === 0x21 /* ! */) return true;
  if (collection ? c !== 0x5b /* [ */ && c !== 0x7b /* { */ : c === 0x7c /* | */ || c === 0x3e /* > */) return false;
  const nl = input.indexOf('\n', start);
  return nl !== -1 && nl < end;
}

/**
 * A listener's "open" comes before js-yaml skips the space, line breaks and comments in front
 * of a value; `yaml` ranges start at the value itself.
 */
function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else if (c === 0x23 /* # */) {
      const nl = text.indexOf('\n', i);
      if (nl === -1) return text.length;
      i = nl + 1;
    } else return i;
  }
}

/** Keys js-yaml and `yaml` disagree on: a null key, a mapping or sequence as a key, a very long key. */
function hasAmbiguousKey(value: unknown): boolean {
  if (Array.isArray(value)) {
    for (const v of value) if (v !== null && typeof v === 'object' && hasAmbiguousKey(v)) return true;
    return false;
  }
  for (const k in value as Obj) {
    // `yaml` also rejects an implicit key longer than 1,024 characters; js-yaml takes it.
    if (k === 'null' || k === '[object Object]' || k.includes(',') || k.length > 1000) return true;
    const v = (value as Obj)[k];
    if (v !== null && typeof v === 'object' && hasAmbiguousKey(v)) return true;
  }
  return false;
}
