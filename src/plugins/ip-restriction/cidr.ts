/**
 * IP addresses and CIDR blocks as numbers, parsed once: IPv4 as a uint32 (in a double), IPv6 as
 * a 128-bit BigInt. A list is compiled into sorted, merged [start, end] ranges per family and a
 * lookup is a binary search (no regex, no string work beyond parsing the client address).
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is treated as the IPv4 address, in lists and for clients.
 */

export function parseIPv4(s: string): number | null {
  let n = 0;
  let parts = 0;
  let cur = -1;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (cur < 0 || cur > 255 || ++parts > 4) return null;
      n = n * 256 + cur;
      cur = -1;
    } else if (c >= 48 && c <= 57) {
      if (cur === 0) return null; // no leading zeros (ambiguous octal)
      cur = cur < 0 ? c - 48 : cur * 10 + c - 48;
      if (cur > 255) return null;
    } else return null;
  }
  return parts === 4 ? n : null;
}

export function parseIPv6(input: string): bigint | null {
  let s = input;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.indexOf(':') < 0) return null;
  const groups: number[] = [];
  let tail: number[] = [];
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const parse = (part: string, out: number[]): boolean => {
    if (part === '') return true;
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.indexOf('.') >= 0) {
        const v4 = parseIPv4(p);
        if (v4 === null) return false;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
        continue;
      }
      if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) return false;
      out.push(parseInt(p, 16));
    }
    return true;
  };
  if (dbl >= 0) {
    if (!parse(s.slice(0, dbl), groups) || !parse(s.slice(dbl + 2), tail)) return null;
    if (groups.length + tail.length > 7) return null;
    while (groups.length + tail.length < 8) groups.push(0);
  } else {
    if (!parse(s, groups) || groups.length !== 8) return null;
    tail = [];
  }
  const all = groups.concat(tail);
  if (all.length !== 8) return null;
  let v = 0n;
  for (const g of all) v = (v << 16n) | BigInt(g);
  return v;
}

const MAPPED_PREFIX = 0xffffn << 32n;
const MAPPED_MASK = ~((1n << 32n) - 1n) & ((1n << 128n) - 1n);

/** An IPv4-mapped IPv6 address as its IPv4 number, else null. */
function mappedV4(v6: bigint): number | null {
  return (v6 & MAPPED_MASK) === MAPPED_PREFIX ? Number(v6 & 0xffffffffn) : null;
}

export interface CompiledList {
  v4: Float64Array; // start0, end0, start1, end1, ... sorted and merged
  v6: bigint[];
}

/** Parses entries (IPs or CIDRs); returns the compiled list, or the error of the first bad entry. */
export function compileList(entries: readonly string[]): CompiledList | { bad: number; message: string } {
  const r4: Array<[number, number]> = [];
  const r6: Array<[bigint, bigint]> = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!.trim();
    const slash = e.indexOf('/');
    const addr = slash < 0 ? e : e.slice(0, slash);
    const bitsText = slash < 0 ? null : e.slice(slash + 1);
    if (bitsText !== null && !/^\d{1,3}$/.test(bitsText)) return { bad: i, message: `"${entries[i]}" is not a valid IP address or CIDR block` };
    const v4 = parseIPv4(addr);
    if (v4 !== null) {
      const bits = bitsText === null ? 32 : Number(bitsText);
      if (bits > 32) return { bad: i, message: `"${entries[i]}" has a prefix longer than 32 bits` };
      const size = 2 ** (32 - bits);
      const start = v4 - (v4 % size);
      r4.push([start, start + size - 1]);
      continue;
    }
    const v6 = parseIPv6(addr);
    if (v6 === null) return { bad: i, message: `"${entries[i]}" is not a valid IP address or CIDR block` };
    const bits = bitsText === null ? 128 : Number(bitsText);
    if (bits > 128) return { bad: i, message: `"${entries[i]}" has a prefix longer than 128 bits` };
    const hostBits = BigInt(128 - bits);
    const start = (v6 >> hostBits) << hostBits;
    const end = start | ((1n << hostBits) - 1n);
    r6.push([start, end]);
    // The IPv4-mapped part of a block also matches IPv4 clients.
    if (bits >= 96 && mappedV4(start) !== null) r4.push([mappedV4(start)!, Number(end & 0xffffffffn)]);
  }
  r4.sort((a, b) => a[0] - b[0]);
  r6.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const m4: number[] = [];
  for (const [s, e] of r4) {
    if (m4.length > 0 && s <= m4[m4.length - 1]! + 1) m4[m4.length - 1] = Math.max(m4[m4.length - 1]!, e);
    else m4.push(s, e);
  }
  const m6: bigint[] = [];
  for (const [s, e] of r6) {
    if (m6.length > 0 && s <= m6[m6.length - 1]! + 1n) m6[m6.length - 1] = e > m6[m6.length - 1]! ? e : m6[m6.length - 1]!;
    else m6.push(s, e);
  }
  return { v4: Float64Array.from(m4), v6: m6 };
}

function inV4(r: Float64Array, ip: number): boolean {
  let lo = 0;
  let hi = r.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ip < r[mid * 2]!) hi = mid - 1;
    else if (ip > r[mid * 2 + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

function inV6(r: bigint[], ip: bigint): boolean {
  let lo = 0;
  let hi = r.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ip < r[mid * 2]!) hi = mid - 1;
    else if (ip > r[mid * 2 + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** A client address parsed once per request: an IPv4 number, an IPv6 BigInt, or null (unparsable). */
export type ClientAddress = number | bigint | null;

export function parseClient(ip: string): ClientAddress {
  const v4 = parseIPv4(ip);
  if (v4 !== null) return v4;
  const v6 = parseIPv6(ip);
  if (v6 === null) return null;
  return mappedV4(v6) ?? v6;
}

export function contains(list: CompiledList, ip: ClientAddress): boolean {
  if (ip === null) return false;
  return typeof ip === 'number' ? inV4(list.v4, ip) : inV6(list.v6, ip);
}
