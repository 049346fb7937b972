import { isAlias, isMap, isPair, isScalar, isSeq, type Alias, type CST, type Document, type Node } from 'yaml';

/**
 * Bounds on the shape of a parsed document, checked before anything walks it.
 *
 * Every stage after parsing (secrets, migration, validation, normalisation, diff, /config
 * redaction, hashing) walks the document recursively. A YAML alias can make the document a
 * cycle (`a: &a [*a]`), and nesting (`[[[[...` or `- - - -`, or a chain of aliases each adding
 * a level) can be as deep as the file is long: either one overflows the stack of whatever walks
 * it first. So the loader refuses both here, with a FILE:LINE:COL error, and nothing later has
 * to care. Real configurations nest about ten levels deep (services → routes → plugins →
 * config → …); MAX_DEPTH leaves room for JSON Schemas in request-validator and the like.
 */
export const MAX_DEPTH = 128;

export const depthMessage = `nesting deeper than ${MAX_DEPTH} levels: a configuration is never that deep`;

export interface ShapeProblem {
  /** Offset in the text. */
  offset: number;
  message: string;
}

type Item = { key?: CST.Token | null; value?: CST.Token };

/**
 * The deepest collection nesting of a CST (yaml's Parser is iterative; its Composer is not),
 * checked without recursion. Returns the offset of the first node nested deeper than MAX_DEPTH.
 */
export function cstDepthProblem(tokens: readonly CST.Token[]): ShapeProblem | null {
  const stack: Array<[CST.Token, number]> = [];
  for (const t of tokens) if (t.type === 'document' && t.value) stack.push([t.value, 0]);
  while (stack.length > 0) {
    const [t, depth] = stack.pop()!;
    if (t.type !== 'block-map' && t.type !== 'block-seq' && t.type !== 'flow-collection') continue;
    if (depth >= MAX_DEPTH) return { offset: t.offset, message: depthMessage };
    for (const it of t.items as Item[]) {
      if (it.key) stack.push([it.key, depth + 1]);
      if (it.value) stack.push([it.value, depth + 1]);
    }
  }
  return null;
}

/**
 * Alias cycles and nesting through aliases, on the composed document (before `toJS`, which
 * would build the cycle or the deep value). Linear in the size of the document even for an
 * alias bomb: each node's height is computed once.
 */
export function aliasProblem(doc: Document): ShapeProblem | null {
  const root = doc.contents as Node | null;
  if (root === null) return null;

  // 1. An alias refers to the last node before it with that anchor: one pass in document order.
  const target = new Map<Alias, Node>();
  let anyAlias = false;
  {
    const anchors = new Map<string, Node>();
    const stack: Node[] = [root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (isAlias(n)) {
        anyAlias = true;
        const t = anchors.get(n.source);
        if (t !== undefined) target.set(n, t);
        continue;
      }
      const anchor = (n as { anchor?: string }).anchor;
      if (typeof anchor === 'string') anchors.set(anchor, n);
      const kids = children(n);
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!.node);
    }
  }
  if (!anyAlias) return null; // no alias: the CST check already bounded the depth

  // 2. Heights (scalar 0, collection 1 + its highest child, alias = its target), cycles found on
  // the way: a child that is still open is an ancestor.
  const height = new Map<Node, number>();
  const open = new Set<Node>();
  const stack: Array<{ node: Node; kids: Kid[]; i: number }> = [];
  const enter = (n: Node): void => {
    open.add(n);
    stack.push({ node: n, kids: isAlias(n) ? (target.has(n) ? [{ node: target.get(n)!, merge: false }] : []) : children(n), i: 0 });
  };
  enter(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i < top.kids.length) {
      const next = top.kids[top.i++]!.node;
      if (height.has(next)) continue;
      if (open.has(next)) {
        const what = isAlias(top.node) ? `*${top.node.source} refers to a node that contains it` : 'a node contains itself';
        return { offset: top.node.range?.[0] ?? 0, message: `alias cycle: ${what}` };
      }
      enter(next);
      continue;
    }
    stack.pop();
    open.delete(top.node);
    height.set(top.node, nodeHeight(top.node, top.kids, height));
  }
  if ((height.get(root) ?? 0) <= MAX_DEPTH) return null;

  // 3. Where: walk down the highest branch; point at the alias that took it past the limit.
  let n: Node = root;
  let depth = 0;
  let lastAlias: Alias | null = null;
  for (;;) {
    if (isAlias(n)) {
      const t = target.get(n);
      if (t === undefined) break;
      lastAlias = n;
      n = t;
      continue;
    }
    if (depth >= MAX_DEPTH) break;
    const kids = children(n);
    const best = kids.reduce<Kid | null>((b, k) => (b === null || contribution(k, height) > contribution(b, height) ? k : b), null);
    if (best === null) break;
    if (!best.merge) depth++;
    n = best.node; // a merged alias is followed (and remembered) at the top of the loop
  }
  const at = lastAlias ?? n;
  return { offset: at.range?.[0] ?? 0, message: lastAlias ? `${depthMessage} (through alias *${lastAlias.source})` : depthMessage };
}

interface Kid {
  node: Node;
  /** The value of a `<<` merge key: its pairs land in the parent mapping, one level up. */
  merge: boolean;
}

function children(n: Node): Kid[] {
  const out: Kid[] = [];
  if (isMap(n)) {
    for (const p of n.items) {
      if (!isPair(p)) continue;
      const merge = isScalar(p.key) && p.key.value === '<<';
      if (p.key !== null && typeof p.key === 'object' && !merge) out.push({ node: p.key as Node, merge: false });
      if (p.value !== null && typeof p.value === 'object') {
        if (merge && isSeq(p.value)) for (const v of p.value.items) out.push({ node: v as Node, merge: true });
        else out.push({ node: p.value as Node, merge });
      }
    }
  } else if (isSeq(n)) {
    for (const v of n.items) if (v !== null && typeof v === 'object') out.push({ node: v as Node, merge: false });
  }
  return out;
}

/** How high a child makes its parent's content: a merged mapping adds its items, not itself. */
function contribution(k: Kid, height: Map<Node, number>): number {
  const h = height.get(k.node) ?? 0;
  return k.merge ? h - 1 : h;
}

function nodeHeight(n: Node, kids: Kid[], height: Map<Node, number>): number {
  if (isAlias(n)) return kids.length > 0 ? (height.get(kids[0]!.node) ?? 0) : 0;
  if (!isMap(n) && !isSeq(n)) return 0;
  let max = 0;
  for (const k of kids) max = Math.max(max, contribution(k, height));
  return 1 + max;
}

/**
 * The same bounds on a plain value (any source: a fast-pass parse, a test, a caller that built
 * one): a cycle or nesting deeper than MAX_DEPTH, as the JSON path where it starts.
 */
export function valueShapeProblem(value: unknown): { path: Array<string | number>; message: string } | null {
  const onPath = new Set<object>();
  const stack: Array<{ v: object; keys: Array<string | number>; i: number; path: Array<string | number> }> = [];
  const enter = (v: object, path: Array<string | number>): void => {
    onPath.add(v);
    stack.push({ v, keys: Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v), i: 0, path });
  };
  if (value === null || typeof value !== 'object') return null;
  enter(value, []);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.keys.length) {
      stack.pop();
      onPath.delete(top.v);
      continue;
    }
    const k = top.keys[top.i++]!;
    const child = (top.v as Record<string | number, unknown>)[k];
    if (child === null || typeof child !== 'object') continue;
    const path = [...top.path, k];
    if (onPath.has(child)) return { path, message: 'alias cycle: a value contains itself' };
    if (stack.length >= MAX_DEPTH) return { path, message: depthMessage };
    enter(child, path);
  }
  return null;
}
