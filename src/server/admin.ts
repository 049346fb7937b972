import { createHash, timingSafeEqual } from 'node:crypto';
import uWS from '../uws/index.js';
import { runtimeInfo } from '../uws/load.js';
import client from 'prom-client';
import { redactConfig } from '../config/index.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import type { ConfigManager } from './reload.js';
import type { WorkerGroup } from './workers.js';
import type { ListenerInfo } from './ports.js';

export interface AdminDeps {
  version: string;
  startedAt: number;
  manager: ConfigManager;
  workers: WorkerGroup;
  token: string | null;
  logger: Logger;
  /** Main-thread metrics (reloads), merged with the workers' on /metrics. */
  registry: client.Registry;
  /** Every listener of the gateway, for /status. */
  listeners: () => ListenerInfo[];
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time bearer check: compares fixed-length digests, never the raw strings. */
export function bearerMatches(header: string, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header);
  const given = digest(m ? m[1]!.trim() : '');
  return timingSafeEqual(given, digest(token)) && m !== null;
}

function nameOf(config: Config, kind: 'services' | 'routes', id: string | null): string | null {
  if (id === null) return null;
  const e = (config[kind] as Array<{ id: string; name: string | null }>).find((x) => x.id === id);
  return e ? e.name ?? e.id : null;
}

/** The read-only admin API of SPEC §7 (plus POST /reload), on its own uWS listener. */
export class AdminServer {
  private readonly app = uWS.App();
  private socket: uWS.us_listen_socket | null = null;

  constructor(private readonly deps: AdminDeps) {
    this.app.any('/*', (res, req) => this.handle(res, req));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (token) => {
        if (!token) return reject(new Error(`cannot listen on admin ${host}:${port}`));
        this.socket = token;
        resolve(uWS.us_socket_local_port(token));
      });
    });
  }

  close(): void {
    if (this.socket !== null) {
      uWS.us_listen_socket_close(this.socket);
      this.socket = null;
    }
    (this.app as unknown as { close?: () => void }).close?.();
  }

  private handle(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    const method = req.getCaseSensitiveMethod();
    const url = req.getUrl();
    const auth = req.getHeader('authorization');
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const reply = (status: string, body: string, type = 'application/json; charset=utf-8'): void => {
      if (aborted) return;
      res.cork(() => {
        res.writeStatus(status).writeHeader('content-type', type).writeHeader('cache-control', 'no-store').end(body);
      });
    };
    const json = (status: string, value: unknown): void => reply(status, JSON.stringify(value, null, 2) + '\n');
    if (this.deps.token !== null && !bearerMatches(auth, this.deps.token)) {
      if (aborted) return;
      res.cork(() => {
        res.writeStatus('401 Unauthorized').writeHeader('www-authenticate', 'Bearer realm="sluice-admin"').writeHeader('content-type', 'application/json; charset=utf-8').end('{"message":"Unauthorized"}\n');
      });
      return;
    }
    this.route(method, url)
      .then((r) => (r === null ? json('404 Not Found', { message: 'Not found' }) : typeof r.body === 'string' ? reply(r.status, r.body, r.type) : json(r.status, r.body)))
      .catch((err: Error) => {
        this.deps.logger.error({ err: err.message, url }, 'admin API error');
        json('500 Internal Server Error', { message: 'An unexpected error occurred' });
      });
  }

  private async route(method: string, url: string): Promise<{ status: string; body: unknown; type?: string } | null> {
    const { manager, workers } = this.deps;
    const config = manager.current;
    const ok = '200 OK';
    if (method === 'POST' && url === '/reload') {
      const outcome = await manager.reload('admin');
      return {
        status: outcome.ok ? ok : '400 Bad Request',
        body: { ok: outcome.ok, changed: outcome.changed, hash: outcome.hash, errors: outcome.errors.map((e) => ({ message: e.message, file: e.file, line: e.line, column: e.column })) },
      };
    }
    if (method !== 'GET' && method !== 'HEAD') return { status: '405 Method Not Allowed', body: { message: 'Method not allowed' } };
    switch (url) {
      case '/status':
        return { status: ok, body: await this.status() };
      case '/status/ready':
        return this.ready();
      case '/config':
        return { status: ok, body: redactConfig(config) };
      case '/services':
        return { status: ok, body: { data: config.services.map(({ pos: _p, ...s }) => s) } };
      case '/routes':
        return { status: ok, body: { data: config.routes.map(({ pos: _p, ...r }) => ({ ...r, service_name: nameOf(config, 'services', r.service) })) } };
      case '/consumers':
        return { status: ok, body: { data: config.consumers.map(({ pos: _p, ...c }) => c) } };
      case '/plugins': {
        const redacted = redactConfig(config) as { plugins: Array<Record<string, unknown>> };
        return { status: ok, body: { data: redacted.plugins.map(({ pos: _p, ...p }) => p) } };
      }
      case '/upstreams':
        return { status: ok, body: { data: config.upstreams.map(({ pos: _p, targets, ...u }) => ({ ...u, targets: targets.map(({ pos: _q, ...t }) => t) })) } };
      case '/metrics': {
        const perWorker = (await workers.metrics()) as client.MetricObjectWithValues<client.MetricValue<string>>[][];
        const aggregated = client.AggregatorRegistry.aggregate(perWorker);
        const text = (await this.deps.registry.metrics()) + (await aggregated.metrics());
        return { status: ok, body: text, type: this.deps.registry.contentType };
      }
    }
    const health = /^\/upstreams\/([^/]+)\/health$/.exec(url);
    if (health) {
      const name = decodeURIComponent(health[1]!);
      const upstream = config.upstreams.find((u) => u.name === name || u.id === name);
      if (!upstream) return { status: '404 Not Found', body: { message: `no upstream named ${name}` } };
      const stats = await workers.stats();
      const data = upstream.targets.map((t) => {
        const views = stats.map((s) => s?.upstreams[upstream.name]?.find((p) => p.target === `${t.host}:${t.port}`));
        const healthy = views.every((v) => v === undefined || v.healthy);
        return { target: t.target, weight: t.weight, health: healthy ? 'HEALTHY' : 'UNHEALTHY', active: views.reduce((a, v) => a + (v?.active ?? 0), 0) };
      });
      return { status: ok, body: { upstream: upstream.name, data } };
    }
    return null;
  }

  /**
   * For readiness probes: 200 when a good configuration is loaded and every worker serves it (each
   * worker's hash is the current one), 503 while a worker starts, restarts or has not swapped yet.
   * A failed reload leaves the last good configuration serving, so it does not make a pod unready.
   */
  private ready(): { status: string; body: unknown } {
    const { manager, workers } = this.deps;
    const hash = manager.current.hash;
    const hashes = workers.hashes();
    const ready = hashes.length > 0 && hashes.every((h) => h === hash);
    return {
      status: ready ? '200 OK' : '503 Service Unavailable',
      body: { ready, config_hash: hash, workers: hashes.map((h, index) => ({ index, config_hash: h, serving: h === hash })) },
    };
  }

  private async status(): Promise<unknown> {
    const { manager, workers, version, startedAt } = this.deps;
    const config = manager.current;
    const stats = await workers.stats();
    const hashes = workers.hashes();
    return {
      version,
      runtime: runtimeInfo(),
      listeners: this.deps.listeners(),
      uptime_s: Math.round((Date.now() - startedAt) / 1000),
      workers: hashes.map((hash, i) => ({ index: i, config_hash: stats[i]?.hash ?? hash, in_flight: stats[i]?.inFlight ?? null, websockets: stats[i]?.websockets ?? null })),
      connections: stats.reduce((a, s) => a + (s ? s.inFlight + s.websockets : 0), 0),
      config: {
        source: manager.source,
        hash: config.hash,
        loaded_at: manager.loadedAt.toISOString(),
        services: config.services.length,
        routes: config.routes.length,
        consumers: config.consumers.length,
        plugins: config.plugins.length,
      },
      reload: manager.status,
    };
  }
}
