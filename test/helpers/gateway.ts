import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(REPO_ROOT, 'bin', 'sluice.js');

/**
 * The `sluice` command the end-to-end tests run: `$SLUICE_TEST_COMMAND` when set (words split on
 * spaces, a relative first word resolved against the repository, e.g. `dist/sluice` for the single
 * executable), else `node bin/sluice.js` with this Node. Spawn as `spawn(SLUICE, [...SLUICE_ARGS, ...args])`.
 */
export const [SLUICE, ...SLUICE_ARGS]: [string, ...string[]] = (() => {
  const words = (process.env.SLUICE_TEST_COMMAND ?? '').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [process.execPath, BIN];
  const [first, ...rest] = words as [string, ...string[]];
  return [first.includes('/') ? resolve(REPO_ROOT, first) : first, ...rest];
})();

const handedOut = new Set<number>();

/**
 * A port that was free a moment ago (workers need a fixed port: they share it). Never the same
 * port twice in one test process: uWS listens with SO_REUSEPORT, so two listeners given the same
 * port would both bind and silently share its traffic.
 */
export async function freePort(): Promise<number> {
  // Each vitest fork takes ports from its own slice below the ephemeral range, so two test files
  // running at once can never pick the same port.
  const pool = Number(process.env.VITEST_POOL_ID ?? 1) % 8;
  const base = 20000 + pool * 1500;
  for (let tries = 0; tries < 1000; tries++) {
    const port = base + Math.floor(Math.random() * 1500);
    if (handedOut.has(port)) continue;
    const free = await new Promise<boolean>((res) => {
      const srv = createServer();
      srv.once('error', () => res(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
    });
    if (free) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found');
}

export function tempDir(prefix = 'sluice-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface GatewayProcess {
  proc: ChildProcess;
  pid: number;
  proxyPort: number;
  tlsPort: number;
  adminPort: number;
  url: string;
  admin: string;
  configPath: string;
  /** Every stdout/stderr line so far. */
  lines: string[];
  /** Parsed JSON log lines so far. */
  logs(): Array<Record<string, unknown>>;
  waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  rssKb(): number;
}

export interface StartOptions {
  workers?: number;
  env?: Record<string, string>;
  args?: string[];
  configPath?: string;
  logLevel?: string;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});
// A test run stopped from outside (Ctrl-C, a timeout) must not leave gateways behind.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const p of running) p.kill('SIGKILL');
    process.exit(130);
  });
}

/** Starts the real gateway (the built CLI) on free ports with the given YAML; resolves when it serves. */
export async function startGateway(yaml: string | null, opts: StartOptions = {}): Promise<GatewayProcess> {
  const proxyPort = await freePort();
  const tlsPort = await freePort();
  const adminPort = await freePort();
  let configPath = opts.configPath;
  if (configPath === undefined) {
    configPath = join(tempDir(), 'gateway.yaml');
  }
  if (yaml !== null) writeFileSync(configPath, yaml);
  const args = [
    ...SLUICE_ARGS, 'start', '-c', configPath,
    '--proxy-listen', `127.0.0.1:${proxyPort}`,
    '--proxy-listen-tls', `127.0.0.1:${tlsPort}`,
    '--admin-listen', `127.0.0.1:${adminPort}`,
    '--workers', String(opts.workers ?? 1),
    '--log-level', opts.logLevel ?? 'info',
    ...(opts.args ?? []),
  ];
  const proc = spawn(SLUICE, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const onChunk = (prefix: string) => {
    let buf = '';
    return (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) !== -1) {
        lines.push(prefix + buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      for (const l of listeners) l();
    };
  };
  proc.stdout!.on('data', onChunk(''));
  proc.stderr!.on('data', onChunk(''));
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => { running.delete(proc); res(code); }));
  const logs = () => lines.flatMap((l) => { try { return [JSON.parse(l) as Record<string, unknown>]; } catch { return []; } });
  const waitForLog = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 10000) =>
    new Promise<Record<string, unknown>>((res, rej) => {
      const check = () => {
        const hit = logs().find(pred);
        if (hit) { listeners.delete(check); clearTimeout(t); res(hit); }
      };
      const t = setTimeout(() => { listeners.delete(check); rej(new Error('timed out waiting for a log line; got:\n' + lines.slice(-30).join('\n'))); }, timeoutMs);
      listeners.add(check);
      check();
    });
  const gw: GatewayProcess = {
    proc,
    pid: proc.pid!,
    proxyPort,
    tlsPort,
    adminPort,
    url: `http://127.0.0.1:${proxyPort}`,
    admin: `http://127.0.0.1:${adminPort}`,
    configPath,
    lines,
    logs,
    waitForLog,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    rssKb() {
      const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
    },
  };
  // Serving = the admin API answers /status (works at any log level).
  const ready = (async () => {
    const until = Date.now() + 40000;
    while (Date.now() < until && proc.exitCode === null) {
      const ok = await fetch(`http://127.0.0.1:${adminPort}/status`, { headers: opts.env?.SLUICE_ADMIN_TOKEN ? { authorization: `Bearer ${opts.env.SLUICE_ADMIN_TOKEN}` } : {} }).then((r) => r.ok, () => false);
      if (ok) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  })();
  const started = await Promise.race([ready, exited.then(() => false)]);
  if (!started) {
    const how = proc.exitCode !== null || proc.signalCode !== null ? `exited (${proc.exitCode ?? proc.signalCode})` : 'did not answer /status in 40 s';
    proc.kill('SIGKILL');
    throw new Error(`gateway ${how} before serving:\n` + lines.join('\n'));
  }
  return gw;
}
