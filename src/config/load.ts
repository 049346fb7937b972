import { Composer, isAlias, YAMLParseError, isMap, isPair, isScalar, isSeq, LineCounter, Parser, type CST, type Document, type Node } from 'yaml';
import { parseFast } from './fast-yaml.js';
import { aliasProblem, cstDepthProblem, depthMessage } from './shape.js';
import type { Diagnostic, SourcePos } from './types.js';
import type { Issue, JsonPath } from './issues.js';

/** A parsed YAML document: its plain value, plus a way back from any JSON path to the source. */
export interface LoadedDocument {
  file: string;
  value: unknown;
  /**
   * Parsed by `yaml`, with every node's source range. When false (js-yaml's fast pass,
   * fast-yaml.ts), positions are exact for objects and arrays only: a caller with a diagnostic to
   * report parses again with `exact`.
   */
  exact: boolean;
  /** `yaml`'s warnings (an unresolved tag, a flow collection indented too little). */
  warnings: Diagnostic[];
  /** Position of the value at `path` (its key when `atKey`, or when the value is missing). */
  posOf(path: JsonPath, atKey?: boolean): SourcePos;
  toDiagnostic(issue: Issue): Diagnostic;
}

export type ParseResult = { ok: true; doc: LoadedDocument } | { ok: false; errors: Diagnostic[] };

/**
 * Parses YAML keeping source positions. Syntax errors and duplicate keys are fatal: nothing after
 * them can be trusted. An empty file or a top level that is not a mapping is an error too.
 * Unless `exact`, js-yaml's fast pass is tried first (fast-yaml.ts); it gives way to `yaml`
 * whenever the text is not plainly valid.
 */
export function parseYaml(text: string, file: string, exact = false): ParseResult {
  const fast = exact ? null : parseFast(text);
  if (fast !== null) {
    const lines = lineCounterOf(text);
    const posOf = (path: JsonPath): SourcePos => {
      const { line, col } = lines.linePos(fast.offsetOf(path));
      return { file, line, column: col };
    };
    return {
      ok: true,
      doc: {
        file,
        value: fast.value,
        exact: false,
        warnings: [],
        posOf,
        toDiagnostic: (issue) => ({ ...posOf(issue.path), message: issue.message, severity: issue.severity }),
      },
    };
  }
  const lineCounter = new LineCounter();
  const at = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const fail = (offset: number, message: string): ParseResult => ({ ok: false, errors: [{ ...at(offset), message, severity: 'error' }] });
  // yaml's Parser is iterative; its Composer and toJS recurse: bound the nesting (shape.ts) in
  // between, and refuse alias cycles before toJS builds one.
  let tokens: CST.Token[];
  try {
    tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  } catch (e) {
    // The Parser recurses too in places (closing thousands of block levels at once).
    if (e instanceof RangeError) return fail(deepestLine(text), depthMessage);
    throw e;
  }
  const deep = cstDepthProblem(tokens);
  if (deep !== null) return fail(deep.offset, deep.message);
  let doc: Document.Parsed | undefined;
  try {
    // logLevel 'error': warnings are reported as diagnostics below, not printed by the yaml package.
    const composer = new Composer({ uniqueKeys: true, merge: true, logLevel: 'error' });
    for (const d of composer.compose(tokens, true, text.length)) {
      if (doc === undefined) doc = d;
      else {
        doc.errors.push(new YAMLParseError([d.range[0], d.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
        break;
      }
    }
  } catch (e) {
    return e instanceof RangeError ? fail(deepestLine(text), depthMessage) : fail(0, `YAML: ${firstLine((e as Error).message)}`);
  }
  if (doc === undefined) return fail(0, 'the configuration is empty: expected a mapping with _format_version: "3.0"');
  if (doc.errors.length > 0) {
    const d = doc;
    return {
      ok: false,
      errors: d.errors.map((e) => ({
        ...at(e.pos[0]),
        message: e.code === 'DUPLICATE_KEY' ? duplicateKeyMessage(d, text, e.pos[0]) : `YAML: ${firstLine(e.message)}`,
        severity: 'error' as const,
      })),
    };
  }
  const contents = doc.contents as Node | null;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    return { ok: false, errors: [{ ...at(0), message: 'the configuration is empty: expected a mapping with _format_version: "3.0"', severity: 'error' }] };
  }
  if (!isMap(contents)) {
    return { ok: false, errors: [{ ...at(contents.range?.[0] ?? 0), message: 'the top level must be a mapping (key: value), with _format_version: "3.0"', severity: 'error' }] };
  }
  const shape = aliasProblem(doc);
  if (shape !== null) return fail(shape.offset, shape.message);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 10000 });
  } catch (e) {
    return { ok: false, errors: [{ ...at(0), message: `YAML: ${(e as Error).message}`, severity: 'error' }] };
  }
  const parsed = doc;
  const posOf = (path: JsonPath, atKey = false): SourcePos => at(offsetOf(parsed, path, atKey));
  return {
    ok: true,
    doc: {
      file,
      value,
      exact: true,
      warnings: parsed.warnings.map((w) => ({ ...at(w.pos[0]), message: `YAML: ${firstLine(w.message)}`, severity: 'warning' as const })),
      posOf,
      toDiagnostic: (issue) => ({ ...posOf(issue.path, issue.atKey), message: issue.message, severity: issue.severity }),
    },
  };
}

/**
 * Where a document too deep for the parser to say is deepest: the start of the line with the
 * most indentation, sequence indicators and open brackets (a guess, used only for the message).
 */
function deepestLine(text: string): number {
  let best = 0;
  let bestScore = -1;
  let flow = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    let score = 0;
    let i = start;
    while (i < end && (text[i] === ' ' || text[i] === '-' || text[i] === '\t')) score += text[i++] === '-' ? 2 : 1;
    let peak = flow;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x5b || c === 0x7b) peak = Math.max(peak, ++flow);
      else if ((c === 0x5d || c === 0x7d) && flow > 0) flow--;
    }
    score += peak * 2;
    if (score > bestScore) {
      bestScore = score;
      best = start;
    }
    start = end + 1;
  }
  return best;
}

/** Line starts as `yaml`'s lexer records them (after each line feed). */
function lineCounterOf(text: string): LineCounter {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return lines;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function duplicateKeyMessage(doc: Document, text: string, offset: number): string {
  const m = /^[ \t]*["']?([^"':\n]*)/.exec(text.slice(offset));
  const key = m?.[1]?.trim();
  void doc;
  return key ? `duplicate key "${key}"` : 'duplicate key';
}

/** Start offset of the node at `path`, or of the deepest ancestor that exists. */
function offsetOf(doc: Document, path: JsonPath, atKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyString(p.key) === String(seg));
      if (!pair) return offset;
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      if (last && atKey && key?.range) return key.range[0];
      if (value?.range && !(isScalar(value) && value.value === null && value.range[0] === value.range[1])) {
        offset = value.range[0];
        node = value;
      } else {
        return key?.range?.[0] ?? offset;
      }
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item?.range) return offset;
      offset = item.range[0];
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

function keyString(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}
