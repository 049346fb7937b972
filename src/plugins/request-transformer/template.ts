import type { PluginContext } from '../types.js';

/**
 * Kong's request-transformer templates, compiled once: `$(headers.x_api_key)`,
 * `$(headers["x-api-key"])`, `$(query_params.page)`, `$(uri_captures.petId)`,
 * `$(uri_captures["petId"])`, `$(uri_captures[1])`, each optionally followed by
 * `or "fallback"`; `\$(` is a literal `$(`. Sources read the ORIGINAL request (as Kong): headers
 * by lower-case name (underscores also tried as dashes, as nginx does), the first value of a query
 * parameter, and the route's path template parameters / regex captures (`ctx.params`). A missing
 * value renders as the fallback, or the empty string.
 */
type Source = 'headers' | 'query_params' | 'uri_captures';
interface Ref {
  source: Source;
  key: string;
  fallback: string;
}
export type Template = string | ReadonlyArray<string | Ref>;

const SOURCES: ReadonlySet<string> = new Set(['headers', 'query_params', 'uri_captures']);

/** Compiles a value; a plain string stays a string. Throws on a malformed `$(...)`. */
export function compileTemplate(text: string): Template {
  if (!text.includes('$(')) return text;
  const parts: Array<string | Ref> = [];
  let lit = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('\\$(', i)) {
      lit += '$(';
      i += 3;
      continue;
    }
    if (!text.startsWith('$(', i)) {
      lit += text[i];
      i++;
      continue;
    }
    const end = closingParen(text, i + 2);
    if (end === -1) throw new Error(`unclosed "$(" in "${text}"`);
    if (lit !== '') parts.push(lit);
    lit = '';
    parts.push(parseExpr(text.slice(i + 2, end).trim(), text));
    i = end + 1;
  }
  if (lit !== '') parts.push(lit);
  return parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : parts;
}

function closingParen(text: string, from: number): number {
  let quote = '';
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ')') return i;
  }
  return -1;
}

const EXPR = /^([a-z_]+)\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)|\[\s*(?:"([^"]*)"|'([^']*)'|(\d+))\s*\])(?:\s+or\s+(?:"([^"]*)"|'([^']*)'|(-?\d+(?:\.\d+)?)))?$/;

function parseExpr(expr: string, text: string): Ref {
  const m = EXPR.exec(expr);
  if (m === null || !SOURCES.has(m[1]!)) {
    throw new Error(`unsupported template "$(${expr})" in "${text}": use headers.NAME, query_params.NAME or uri_captures.NAME (or ["NAME"]), optionally followed by or "default"`);
  }
  const key = m[2] ?? m[3] ?? m[4] ?? m[5]!;
  return { source: m[1] as Source, key: m[1] === 'headers' ? key.toLowerCase() : key, fallback: m[6] ?? m[7] ?? m[8] ?? '' };
}

/** Renders a compiled template against a request. `query` is the parsed original query (lazily built by the caller). */
export function render(t: Template, req: PluginContext, query: () => URLSearchParams): string {
  if (typeof t === 'string') return t;
  let out = '';
  for (let i = 0; i < t.length; i++) {
    const p = t[i]!;
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    let v: string | null | undefined;
    if (p.source === 'headers') v = req.header(p.key) ?? req.header(p.key.replace(/_/g, '-'));
    else if (p.source === 'query_params') v = query().get(p.key);
    else v = req.params?.[p.key];
    out += v ?? p.fallback;
  }
  return out;
}
