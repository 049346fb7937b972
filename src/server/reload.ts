import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import type { Config, Diagnostic, LoadResult } from '../config/types.js';
import { formatDiagnostic, loadConfigFile } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import { runtimeInfo } from '../uws/load.js';
import { activeCatalogue, setActiveCatalogue, type Catalogue } from '../plugins/catalogue.js';
import { loadCatalogue, NO_CUSTOM_PLUGINS, pluginFiles, pluginsVersion, type PluginsSpec } from '../plugins/custom/load.js';

/**
 * The configuration's hash with the plugin files' version mixed in: a change to a plugin file
 * alone makes a new snapshot (new module instances) like a change to gateway.yaml.
 */
export function withPluginsHash(config: Config, pluginsVersion: string): Config {
  if (pluginsVersion === '') return config;
  return { ...config, hash: createHash('sha256').update(`${config.hash}\0plugins\0${pluginsVersion}`).digest('hex').slice(0, config.hash.length || 64) };
}

export interface ReloadStatus {
  ok: boolean;
  at: string | null;
  error: { message: string; file: string; line: number; column: number } | null;
}

export type ReloadTrigger = 'file' | 'signal' | 'admin' | 'start';

export interface ReloadOutcome {
  ok: boolean;
  changed: boolean;
  hash: string;
  errors: Diagnostic[];
}

/**
 * Owns the configuration the gateway serves: loads it, keeps the last good one when a reload
 * fails (SPEC §6), and hands a new one to `apply` (the workers) only when its hash changed.
 * Watches the config file's directory and every `{vault://file/...}` file's directory, so an
 * editor's atomic rename, `git checkout`, and a Kubernetes ConfigMap `..data` symlink swap are all
 * seen; bursts of events are debounced, and a file that does not parse right after an event is
 * retried briefly in case it is still being written.
 */
export class ConfigManager {
  current: Config;
  loadedAt = new Date();
  status: ReloadStatus = { ok: true, at: null, error: null };
  reloads = { ok: 0, failed: 0, unchanged: 0 };
  private watcher: FSWatcher | null = null;
  private watchedDirs = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ReloadOutcome> | null = null;
  private poller: NodeJS.Timeout | null = null;
  private signatures = new Map<string, string>();
  /** sha256 of the bytes of the config file and referenced files at the last load. */
  private lastRaw = '';
  private again = false;

  constructor(
    readonly source: string,
    initial: Config,
    private readonly apply: (config: Config, pluginsVersion?: string) => void,
    private readonly logger: Logger,
    private readonly debounceMs = 100,
    private readonly pollMs = 1000,
    /** Custom plugins: their files are watched, and a change loads a new catalogue. */
    private readonly plugins: PluginsSpec = NO_CUSTOM_PLUGINS,
  ) {
    this.current = initial;
  }

  /** Re-reads the file and every secret; swaps only a valid configuration that changed. */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (this.running !== null) {
      // One reload at a time; a trigger during a reload runs one more afterwards.
      this.again = true;
      return this.running;
    }
    this.running = this.doReload(trigger).finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.reload(trigger);
      }
    });
    return this.running;
  }

  private async doReload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    // A file event whose bytes (config and referenced files) are those of the last load changes
    // nothing: skip the parse, which for a large file costs seconds of main-thread time.
    // SIGHUP and POST /reload always load in full.
    let raw = this.rawSignature();
    if (trigger === 'file' && raw === this.lastRaw) {
      return { ok: this.status.ok, changed: false, hash: this.current.hash, errors: [] };
    }
    let catalogue: Catalogue;
    let result: LoadResult;
    try {
      catalogue = await this.loadPlugins();
      result = loadConfigFile(this.source, { catalogue, uws: runtimeInfo().uws });
    } catch (e) {
      catalogue = activeCatalogue();
      result = { ok: false, errors: [this.pluginDiagnostic(e as Error)], warnings: [] };
    }
    // A watcher event can arrive while an editor is still writing: give it a moment.
    for (let i = 0; !result.ok && trigger === 'file' && i < 3; i++) {
      await new Promise((r) => setTimeout(r, 150));
      raw = this.rawSignature();
      try {
        catalogue = await this.loadPlugins();
        result = loadConfigFile(this.source, { catalogue, uws: runtimeInfo().uws });
      } catch (e) {
        result = { ok: false, errors: [this.pluginDiagnostic(e as Error)], warnings: [] };
      }
    }
    this.lastRaw = raw;
    this.signatures = this.fileSignatures();
    const at = new Date().toISOString();
    if (!result.ok) {
      const first = result.errors[0]!;
      this.status = { ok: false, at, error: { message: first.message, file: first.file, line: first.line, column: first.column } };
      this.reloads.failed++;
      this.logger.error(
        { trigger, errors: result.errors.map(formatDiagnostic), hash: this.current.hash },
        `reload failed: ${formatDiagnostic(first)} (still serving the last good configuration)`,
      );
      return { ok: false, changed: false, hash: this.current.hash, errors: result.errors };
    }
    for (const w of result.warnings) this.logger.warn({ trigger }, formatDiagnostic(w));
    const config = withPluginsHash(result.config, catalogue.version);
    setActiveCatalogue(catalogue);
    this.status = { ok: true, at, error: null };
    if (config.hash === this.current.hash) {
      this.reloads.unchanged++;
      this.logger.info({ trigger, hash: config.hash, changed: false }, 'reload: configuration unchanged');
      return { ok: true, changed: false, hash: config.hash, errors: [] };
    }
    const started = performance.now();
    this.current = config;
    this.loadedAt = new Date();
    this.apply(config, catalogue.version);
    this.reloads.ok++;
    this.updateWatches();
    this.logger.info(
      { trigger, hash: config.hash, changed: true, routes: config.routes.length, services: config.services.length, ms: Math.round(performance.now() - started) },
      'reload: new configuration serving',
    );
    return { ok: true, changed: true, hash: config.hash, errors: [] };
  }

  /** The catalogue for the plugin files as they are now: the active one when they did not change. */
  private async loadPlugins(): Promise<Catalogue> {
    const active = activeCatalogue();
    if (this.plugins.dirs.length === 0 && this.plugins.enabled === null) return active;
    if (pluginsVersion(this.plugins) === active.version) return active;
    return loadCatalogue(this.plugins);
  }

  /** A plugin that failed to load, as a reload error at the plugin's file when the message names one. */
  private pluginDiagnostic(e: Error): Diagnostic {
    const m = /\((\/[^)]+)\)/.exec(e.message) ?? /(\/\S+\.[cm]?js)/.exec(e.message);
    return { file: m?.[1] ?? (this.plugins.dirs[0] ?? this.source), line: 1, column: 1, severity: 'error', message: `plugins: ${e.message}` };
  }

  /** Every plugin file, and the directories (a new plugin file appears there). */
  private pluginPaths(): string[] {
    return this.plugins.dirs.length === 0 ? [] : pluginFiles(this.plugins);
  }

  /** Starts watching the config file (and referenced files); resolves once the watch is live. */
  watch(): Promise<void> {
    if (this.watcher !== null) return Promise.resolve();
    this.watcher = chokidar.watch([], { ignoreInitial: true, depth: 0, followSymlinks: true, ignorePermissionErrors: true });
    const ready = new Promise<void>((r) => this.watcher!.once('ready', () => r()));
    this.watcher.on('all', (_event, path) => {
      if (this.isRelevant(path)) this.schedule();
    });
    this.watcher.on('error', (err) => this.logger.warn({ err: String(err) }, 'file watcher error'));
    this.updateWatches();
    // A safety net under the watcher: file-system events can be missed (a busy machine, network
    // or overlay file systems, a symlink swap the watcher does not follow); a cheap stat of each
    // watched file once a second catches any change they missed.
    this.signatures = this.fileSignatures();
    this.poller = setInterval(() => {
      const now = this.fileSignatures();
      let changed = now.size !== this.signatures.size;
      for (const [f, sig] of now) if (this.signatures.get(f) !== sig) changed = true;
      this.signatures = now;
      if (changed) this.schedule();
    }, this.pollMs);
    this.poller.unref();
    return ready;
  }

  private rawSignature(configBytes?: Buffer): string {
    const h = createHash('sha256');
    const files = [resolve(this.source), ...this.current.referenced_files, ...this.pluginPaths()];
    for (let i = 0; i < files.length; i++) {
      try {
        h.update(i === 0 && configBytes !== undefined ? configBytes : readFileSync(files[i]!));
      } catch {
        h.update('missing');
      }
      h.update('\0');
    }
    return h.digest('hex');
  }

  /**
   * The bytes the initial configuration was loaded from, read before that load: a write during
   * the (possibly long) first load then still differs and is reloaded, and an unchanged file is
   * not parsed a second time.
   */
  primeLoadedBytes(configBytes: Buffer): void {
    this.lastRaw = this.rawSignature(configBytes);
  }

  /** realpath + inode + size + mtime of the config file and every referenced file. */
  private fileSignatures(): Map<string, string> {
    const out = new Map<string, string>();
    for (const f of [resolve(this.source), ...this.current.referenced_files, ...this.pluginPaths()]) {
      try {
        const st = statSync(f);
        out.set(f, `${realpathSync(f)}:${st.ino}:${st.size}:${st.mtimeMs}`);
      } catch {
        out.set(f, 'missing');
      }
    }
    return out;
  }

  private updateWatches(): void {
    if (this.watcher === null) return;
    const dirs = new Set([dirname(resolve(this.source)), ...this.current.referenced_files.map((f) => dirname(f)), ...this.plugins.dirs]);
    for (const d of dirs) if (!this.watchedDirs.has(d)) this.watcher.add(d);
    for (const d of this.watchedDirs) if (!dirs.has(d)) this.watcher.unwatch(d);
    this.watchedDirs = dirs;
  }

  /** The config file, a referenced file, or a Kubernetes `..data`-style entry beside them. */
  private isRelevant(path: string): boolean {
    const p = resolve(path);
    if (p === resolve(this.source) || this.current.referenced_files.includes(p)) return true;
    if (this.plugins.dirs.some((d) => p.startsWith(d + '/'))) return true;
    const base = p.slice(p.lastIndexOf('/') + 1);
    return base.startsWith('..');
  }

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.reload('file');
    }, this.debounceMs);
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.poller !== null) clearInterval(this.poller);
    this.poller = null;
    await this.watcher?.close();
    this.watcher = null;
  }
}
