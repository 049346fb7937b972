import type { Peer } from './peer.js';
import { hash32 } from '../util/hash.js';

/** What a balancer may hash on (consistent-hashing); filled by the proxy only when needed. */
export interface BalanceInput {
  hashKey: string | null;
}

export interface Balancer {
  readonly peers: readonly Peer[];
  /** Whether `pick` needs `hashKey` (so the proxy computes it only then). */
  readonly needsHashKey: boolean;
  /** The next peer, skipping `exclude` (a peer that just failed, on retry); null when none is healthy. */
  pick(input: BalanceInput | null, exclude: Peer | null): Peer | null;
}

/**
 * Always the same peer, whatever its health: a plugin's direct target (Kong's
 * kong.service.set_target bypasses the balancer, and retries go to the same target).
 */
export class SingleTarget implements Balancer {
  readonly needsHashKey = false;
  readonly peers: readonly Peer[];
  constructor(readonly peer: Peer) {
    this.peers = [peer];
  }
  pick(): Peer {
    return this.peer;
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Weighted round-robin over a precomputed wheel (nginx's smooth weighted order), so picking is an
 * index increment. 95/5 weights give 19 picks of the first target for 1 of the second.
 */
export class RoundRobin implements Balancer {
  readonly needsHashKey = false;
  private readonly wheel: Peer[];
  private next = 0;

  constructor(readonly peers: readonly Peer[]) {
    this.wheel = buildWheel(peers);
  }

  pick(_input: BalanceInput | null, exclude: Peer | null): Peer | null {
    const wheel = this.wheel;
    const n = wheel.length;
    if (n === 0) return null;
    for (let i = 0; i < n; i++) {
      const p = wheel[this.next]!;
      this.next = this.next + 1 === n ? 0 : this.next + 1;
      if (p.healthy && p !== exclude) return p;
    }
    return exclude !== null && exclude.healthy && n > 0 ? exclude : null;
  }
}

export function buildWheel(peers: readonly Peer[]): Peer[] {
  const live = peers.filter((p) => p.weight > 0);
  if (live.length === 0) return [];
  let g = 0;
  for (const p of live) g = gcd(g, p.weight);
  let weights = live.map((p) => p.weight / g);
  let total = weights.reduce((a, b) => a + b, 0);
  const MAX = 10_000;
  if (total > MAX) {
    weights = weights.map((w) => Math.max(1, Math.round((w * MAX) / total)));
    total = weights.reduce((a, b) => a + b, 0);
  }
  const current = weights.map(() => 0);
  const wheel: Peer[] = [];
  for (let k = 0; k < total; k++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    wheel.push(live[best]!);
  }
  return wheel;
}

/** Least connections, weighted: the healthy peer with the lowest active/weight. */
export class LeastConnections implements Balancer {
  readonly needsHashKey = false;
  private rr = 0;
  constructor(readonly peers: readonly Peer[]) {}

  pick(_input: BalanceInput | null, exclude: Peer | null): Peer | null {
    const peers = this.peers;
    let best: Peer | null = null;
    let bestScore = Infinity;
    const n = peers.length;
    // Start at a rotating offset so equal scores spread across peers.
    this.rr = (this.rr + 1) % (n || 1);
    for (let k = 0; k < n; k++) {
      const p = peers[(this.rr + k) % n]!;
      if (!p.healthy || p.weight <= 0 || p === exclude) continue;
      const score = (p.active + 1) / p.weight;
      if (score < bestScore) {
        bestScore = score;
        best = p;
      }
    }
    return best ?? (exclude !== null && exclude.healthy ? exclude : null);
  }
}

/**
 * Unsigned 32-bit hash for the ring, with full avalanche (FNV-1a alone clustered keys and virtual
 * nodes that differ only in their last characters: "user-1", "user-2", "host:port#1", "#2").
 */
export function ringHash(s: string): number {
  return hash32(s, 0) >>> 0;
}

/**
 * Consistent hashing on a ring of virtual nodes (count proportional to weight), so that adding
 * or removing a target moves only the keys near it. Without a key it falls back to round-robin.
 */
export class ConsistentHash implements Balancer {
  readonly needsHashKey = true;
  private readonly points: Uint32Array;
  private readonly owners: Peer[];
  private readonly fallback: RoundRobin;

  constructor(readonly peers: readonly Peer[], slots = 10_000) {
    const live = peers.filter((p) => p.weight > 0);
    const totalWeight = live.reduce((a, p) => a + p.weight, 0) || 1;
    const budget = Math.min(Math.max(slots, live.length), 65_536);
    const entries: Array<[number, Peer]> = [];
    for (const p of live) {
      const vnodes = Math.max(1, Math.round((budget * p.weight) / totalWeight));
      for (let i = 0; i < vnodes; i++) entries.push([ringHash(`${p.host}:${p.port}#${i}`), p]);
    }
    entries.sort((a, b) => a[0] - b[0]);
    this.points = Uint32Array.from(entries.map((e) => e[0]));
    this.owners = entries.map((e) => e[1]);
    this.fallback = new RoundRobin(peers);
  }

  pick(input: BalanceInput | null, exclude: Peer | null): Peer | null {
    const key = input?.hashKey;
    if (key == null || this.points.length === 0) return this.fallback.pick(null, exclude);
    const h = ringHash(key);
    const pts = this.points;
    let lo = 0;
    let hi = pts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pts[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    const n = pts.length;
    for (let k = 0; k < n; k++) {
      const p = this.owners[(lo + k) % n]!;
      if (p.healthy && p !== exclude) return p;
    }
    return null;
  }
}
