/**
 * The tree: a character radix tree keyed by each entry's literal path prefix (the prefix itself,
 * the literal text before a template's first `{`, a regex's literal start, "" without paths).
 * Every node keeps the rank-sorted union of its own entries and its ancestors' (`cum`), so one
 * walk down the tree yields every candidate already in priority order. A finished tree is
 * flattened into two Int32Arrays (FlatTree) that `lookup` walks without touching objects.
 */
import { EMPTY, type Entry } from './entry.js';

export class Node {
  codes: number[] = [];
  kids: Node[] = [];
  own: Entry[] = [];
  cum: Entry[] = EMPTY;
  constructor(public label: string) {}
}

export function insert(root: Node, key: string, e: Entry): void {
  let node = root;
  let i = 0;
  for (;;) {
    if (i === key.length) {
      node.own.push(e);
      return;
    }
    const c = key.charCodeAt(i);
    const k = node.codes.indexOf(c);
    if (k < 0) {
      const leaf = new Node(key.slice(i));
      leaf.own.push(e);
      node.codes.push(c);
      node.kids.push(leaf);
      return;
    }
    const child = node.kids[k]!;
    const label = child.label;
    let j = 1;
    while (j < label.length && i + j < key.length && label.charCodeAt(j) === key.charCodeAt(i + j)) j++;
    if (j < label.length) {
      // split child at j
      const mid = new Node(label.slice(0, j));
      child.label = label.slice(j);
      mid.codes.push(child.label.charCodeAt(0));
      mid.kids.push(child);
      node.kids[k] = mid;
      node = mid;
    } else {
      node = child;
    }
    i += j;
  }
}

export function finish(node: Node, parentCum: Entry[]): void {
  if (node.own.length === 0) node.cum = parentCum;
  else {
    const all = parentCum.concat(node.own);
    all.sort((a, b) => a.rank - b.rank);
    node.cum = all;
  }
  for (const k of node.kids) finish(k, node.cum);
}

/**
 * A finished tree flattened into one Int32Array, so a lookup reads contiguous memory instead of
 * chasing Node → kids → Node → label pointers. Each node is a record at offset `n`:
 *   t[n]     label length (the root's is 0)
 *   t[n + 1] offset of the node's `cum` list in `c`
 *   t[n + 2] child dispatch: 0 = leaf; k > 0 = k children as (char code, child offset) pairs;
 *            -s = a table of s child offsets (0 = none) indexed by char code - t[n + 3]
 *   t[n + 3] lowest char code of the table
 *   then the label's characters after the first (the parent's dispatch matched that one), then
 *   the children (pairs or table). Records are laid out depth-first, parents before children.
 *
 * The candidate lists (`cum`) are in a second Int32Array `c`, shared between nodes with the same
 * list: at offset o, c[o] = count, then per entry (rank-sorted) its rank (= index in the
 * router's rank-sorted entries), methodMask and flags: the method filter, which rejects most
 * candidates, and the "nothing else to check" test never touch the Entry object.
 */
export class FlatTree {
  constructor(
    readonly t: Int32Array,
    readonly c: Int32Array,
  ) {}

  /** Offset in `c` of the candidates (rank-sorted) whose tree key is a prefix of `path`. */
  find(path: string): number {
    return lookup(this, path);
  }
}

/** c[] of a tree without candidates: offset 0, count 0. */
export const NO_CANDIDATES: Int32Array = new Int32Array(1);

/** Children dispatched by table when there are at least this many and the code span is small. */
const TABLE_MIN_KIDS = 3;
const TABLE_MAX_SPAN = 96;

/**
 * `flagsOf` gives the flags stored for an entry in this tree (default: the entry's own), so a tree
 * can drop a check its key already guarantees.
 */
export function flatten(root: Node, flagsOf: (e: Entry) => number = (e) => e.flags): FlatTree {
  const out: number[] = [];
  const c: number[] = [0]; // offset 0: the empty list
  const cumIndex = new Map<Entry[], number>([[EMPTY, 0]]);
  const place = (node: Node): number => {
    const n = out.length;
    const ll = node.label.length;
    let ci = cumIndex.get(node.cum);
    if (ci === undefined) {
      ci = c.length;
      c.push(node.cum.length);
      for (const e of node.cum) c.push(e.rank, e.methodMask, flagsOf(e));
      cumIndex.set(node.cum, ci);
    }
    const nk = node.kids.length;
    let lo = 0;
    let span = 0;
    if (nk >= TABLE_MIN_KIDS) {
      lo = Math.min(...node.codes);
      span = Math.max(...node.codes) - lo + 1;
    }
    const table = nk >= TABLE_MIN_KIDS && span <= TABLE_MAX_SPAN;
    out.push(ll, ci, table ? -span : nk, lo);
    for (let q = 1; q < ll; q++) out.push(node.label.charCodeAt(q));
    const kidsAt = out.length;
    for (let k = 0, size = table ? span : nk * 2; k < size; k++) out.push(0);
    for (let k = 0; k < nk; k++) {
      const off = place(node.kids[k]!);
      const code = node.codes[k]!;
      if (table) out[kidsAt + code - lo] = off;
      else {
        out[kidsAt + 2 * k] = code;
        out[kidsAt + 2 * k + 1] = off;
      }
    }
    return n;
  };
  place(root);
  return new FlatTree(Int32Array.from(out), Int32Array.from(c));
}

/** Offset in `tree.c` of the candidates (rank-sorted) whose tree key is a prefix of `path`. */
export function lookup(tree: FlatTree, path: string): number {
  const t = tree.t;
  const len = path.length;
  let n = 0;
  let i = 0;
  outer: while (i < len) {
    const mode = t[n + 2]!;
    if (mode === 0) break;
    const c = path.charCodeAt(i);
    const ll0 = t[n]!;
    let kb = ll0 > 1 ? n + 3 + ll0 : n + 4; // first child slot, after the label characters
    let child = 0;
    if (mode > 0) {
      for (let k = 0; k < mode; k++, kb += 2) {
        if (t[kb] === c) {
          child = t[kb + 1]!;
          break;
        }
      }
    } else {
      const d = c - t[n + 3]!;
      if (d >= 0 && d < -mode) child = t[kb + d]!;
    }
    if (child === 0) break;
    const ll = t[child]!;
    if (ll > 1) {
      if (i + ll > len) break;
      // label character q (q >= 1) is at t[child + 3 + q]
      for (let q = 1; q < ll; q++) if (path.charCodeAt(i + q) !== t[child + 3 + q]) break outer;
    }
    i += ll;
    n = child;
  }
  return t[n + 1]!;
}
