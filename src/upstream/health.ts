import type { Dispatcher } from 'undici';
import { undici } from '../lazy.js';
import type { HealthcheckActive, HealthcheckPassive, Upstream } from '../config/types.js';
import type { PassivePolicy, Peer, PeerHealth } from './peer.js';

/**
 * Target health (SPEC §3 upstreams.healthchecks), Kong's model:
 * - passive: the proxy reports each outcome; `unhealthy.http_failures` responses with a status in
 *   `unhealthy.http_statuses`, `tcp_failures` connection failures or `timeouts` in a row make a
 *   target unhealthy; `healthy.successes` successes in a row make it healthy again.
 * - active: a probe (`GET http_path`) every `healthy.interval` s for healthy targets and every
 *   `unhealthy.interval` s for unhealthy ones, with the same counters.
 * A threshold of 0 disables that rule (Kong's defaults are all 0: no health checking unless
 * configured). Counters live on the Peer, which is kept across reloads (PeerRegistry), so a
 * reload does not forget that a target is down.
 */
export type Outcome = 'success' | 'http_failure' | 'tcp_failure' | 'timeout';

interface Thresholds {
  successes: number;
  http_failures: number;
  tcp_failures: number;
  timeouts: number;
}

function apply(peer: Peer, h: PeerHealth, outcome: Outcome, t: Thresholds): void {
  switch (outcome) {
    case 'success':
      h.httpFailures = h.tcpFailures = h.timeouts = 0;
      if (!peer.healthy && t.successes > 0 && ++h.successes >= t.successes) {
        peer.healthy = true;
        h.successes = 0;
      }
      return;
    case 'http_failure':
      h.successes = 0;
      if (peer.healthy && t.http_failures > 0 && ++h.httpFailures >= t.http_failures) markDown(peer, h);
      return;
    case 'tcp_failure':
      h.successes = 0;
      if (peer.healthy && t.tcp_failures > 0 && ++h.tcpFailures >= t.tcp_failures) markDown(peer, h);
      return;
    case 'timeout':
      h.successes = 0;
      if (peer.healthy && t.timeouts > 0 && ++h.timeouts >= t.timeouts) markDown(peer, h);
      return;
  }
}

function markDown(peer: Peer, h: PeerHealth): void {
  peer.healthy = false;
  h.httpFailures = h.tcpFailures = h.timeouts = h.successes = 0;
}

/** The passive policy of one upstream, compiled once: status sets instead of arrays. */
export class PassiveHealth implements PassivePolicy {
  private readonly unhealthyStatuses: ReadonlySet<number>;
  private readonly healthyStatuses: ReadonlySet<number>;
  private readonly thresholds: Thresholds;
  readonly enabled: boolean;

  constructor(p: HealthcheckPassive) {
    this.unhealthyStatuses = new Set(p.unhealthy.http_statuses);
    this.healthyStatuses = new Set(p.healthy.http_statuses);
    this.thresholds = { successes: p.healthy.successes, http_failures: p.unhealthy.http_failures, tcp_failures: p.unhealthy.tcp_failures, timeouts: p.unhealthy.timeouts };
    this.enabled = p.unhealthy.http_failures > 0 || p.unhealthy.tcp_failures > 0 || p.unhealthy.timeouts > 0;
  }

  /** The proxy got a response with `status` from `peer`. */
  status(peer: Peer, status: number): void {
    if (this.unhealthyStatuses.has(status)) apply(peer, peer.health, 'http_failure', this.thresholds);
    else if (this.healthyStatuses.has(status)) apply(peer, peer.health, 'success', this.thresholds);
  }

  /** The proxy could not connect (tcp_failure) or timed out waiting for `peer`. */
  failure(peer: Peer, outcome: 'tcp_failure' | 'timeout'): void {
    apply(peer, peer.health, outcome, this.thresholds);
  }
}

/** Active probes of one upstream's peers. Started per snapshot; stopped when replaced. */
export class ActiveHealthChecker {
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private readonly healthyStatuses: ReadonlySet<number>;
  private readonly unhealthyStatuses: ReadonlySet<number>;
  private readonly thresholds: Thresholds;

  constructor(
    private readonly conf: HealthcheckActive,
    private readonly peers: readonly Peer[],
  ) {
    this.healthyStatuses = new Set(conf.healthy.http_statuses);
    this.unhealthyStatuses = new Set(conf.unhealthy.http_statuses);
    this.thresholds = { successes: conf.healthy.successes, http_failures: conf.unhealthy.http_failures, tcp_failures: conf.unhealthy.tcp_failures, timeouts: conf.unhealthy.timeouts };
  }

  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private dispatcher: Dispatcher | undefined;

  /** https probes: https_verify_certificate and https_sni (the default agent for plain http and the defaults). */
  private agent(): Dispatcher | undefined {
    const c = this.conf;
    if (c.type !== 'https' || (c.https_verify_certificate && c.https_sni === null)) return undefined;
    this.dispatcher ??= new (undici().Agent)({ connect: { rejectUnauthorized: c.https_verify_certificate, ...(c.https_sni !== null ? { servername: c.https_sni } : {}) } });
    return this.dispatcher;
  }

  static enabled(a: HealthcheckActive): boolean {
    return a.healthy.interval > 0 || a.unhealthy.interval > 0;
  }

  start(): void {
    for (const peer of this.peers) this.schedule(peer);
  }

  private schedule(peer: Peer): void {
    if (this.stopped) return;
    const seconds = peer.healthy ? this.conf.healthy.interval : this.conf.unhealthy.interval;
    // An interval of 0 means "do not probe targets in that state": look again in a second.
    const t = setTimeout(() => void this.probe(peer).finally(() => this.schedule(peer)), (seconds > 0 ? seconds : 1) * 1000);
    t.unref();
    this.timers.push(t);
    if (this.timers.length > 4 * this.peers.length) this.timers = this.timers.slice(-2 * this.peers.length);
  }

  private async probe(peer: Peer): Promise<void> {
    if (this.stopped) return;
    if ((peer.healthy ? this.conf.healthy.interval : this.conf.unhealthy.interval) <= 0) return;
    const scheme = this.conf.type === 'https' ? 'https' : 'http';
    // The target itself (peer.origin's host and port), with the Host header the proxy sends it.
    const url = `${scheme}://${new URL(peer.origin).host}${this.conf.http_path}`;
    // At most `concurrency` probes of this upstream at a time (Kong's healthchecks.active.concurrency).
    while (this.running >= this.conf.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    let outcome: Outcome;
    try {
      const headers: Record<string, string | string[]> = { ...this.conf.headers, 'user-agent': 'sluice-healthcheck', host: peer.hostHeader };
      const res = await undici().request(url, { method: 'GET', headersTimeout: this.conf.timeout * 1000, bodyTimeout: this.conf.timeout * 1000, headers, dispatcher: this.agent() });
      await res.body.dump();
      outcome = this.healthyStatuses.has(res.statusCode) ? 'success' : this.unhealthyStatuses.has(res.statusCode) ? 'http_failure' : 'success';
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      outcome = code.includes('TIMEOUT') ? 'timeout' : 'tcp_failure';
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
    if (!this.stopped) apply(peer, peer.health, outcome, this.thresholds);
  }

  stop(): void {
    this.stopped = true;
    void this.dispatcher?.close().catch(() => undefined);
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}

export function newHealth(): PeerHealth {
  return { successes: 0, httpFailures: 0, tcpFailures: 0, timeouts: 0 };
}

/** Checkers for a snapshot's upstreams (only those with active checks configured). */
export function startActiveChecks(upstreams: ReadonlyArray<{ upstream: Upstream; peers: readonly Peer[] }>): ActiveHealthChecker[] {
  const out: ActiveHealthChecker[] = [];
  for (const { upstream, peers } of upstreams) {
    if (!ActiveHealthChecker.enabled(upstream.healthchecks.active)) continue;
    const c = new ActiveHealthChecker(upstream.healthchecks.active, peers);
    c.start();
    out.push(c);
  }
  return out;
}
