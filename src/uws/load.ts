/**
 * The only module that loads uWebSockets.js (SPEC §1). Two native builds are installed under two
 * npm aliases; this picks the newest one this process can load:
 *
 *   - `uws-20.57` (@btc-vision/uwebsockets.js@20.57.0): Node ABIs 115/127/137/141 (Node 20–25),
 *     needs glibc >= 2.38;
 *   - `uws-20.30` (@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0): Node ABIs <= 115
 *     (Node <= 20), needs glibc >= 2.27.
 *
 * The `.node` file is opened directly with `process.dlopen`, never through the packages' own
 * `uws.js`, which would fall back silently to a JavaScript (`ws`) implementation. When no build
 * loads, `loadUws` throws a `UwsLoadError` naming every build tried and why it failed.
 *
 * Inside the single executable (`dist/sluice`, scripts/sea-entry.cjs) the build is fixed at
 * build time: the entry point extracts its `.node` file and sets `globalThis.__SLUICE_SEA__`.
 *
 * uWS reads some limits once, when its shared library is loaded (20.57's header-size limit,
 * `UWS_HTTP_MAX_HEADERS_SIZE`, defaults to 4 KB; 20.30's is ~60 KB). They are set here from
 * Sluice's own settings before the first load, so both builds hand Sluice every request within
 * SPEC's limits and Sluice answers the rest itself (431).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as T from 'uws-20.30';

/** The module's API, typed from the 20.30 declarations (20.57 is a superset at runtime). */
export type UwsModule = typeof T;

interface Candidate {
  /** uWS version of the build. */
  version: string;
  /** npm alias in package.json. */
  alias: string;
  /** Directory holding `uws_<platform>_<arch>_<abi>.node`, from the package's main file. */
  binaries(main: string): string;
  /** Minimum glibc, for the error message. */
  glibc: string;
}

/** Newest first. */
const CANDIDATES: Candidate[] = [
  { version: '20.57.0', alias: 'uws-20.57', binaries: (main) => dirname(main), glibc: '2.38' },
  { version: '20.30.0', alias: 'uws-20.30', binaries: (main) => join(dirname(main), '..', 'binaries'), glibc: '2.27' },
];

export interface UwsBuild {
  /** uWS version, e.g. `20.57.0`. */
  version: string;
  /** Where it came from: the npm alias, or `embedded` in the single executable. */
  source: string;
  file: string;
}

export class UwsLoadError extends Error {}

interface SeaUws {
  version: string;
  file: string;
}

declare global {
  // Set by scripts/sea-entry.cjs (the single executable's entry) before any Sluice module runs.
  var __SLUICE_SEA__: { root: string; uws: SeaUws } | undefined;
}

/** Default header-size limit, matching SLUICE_MAX_HEADER_BYTES's default in src/server/settings.ts. */
const DEFAULT_MAX_HEADER_BYTES = 16384;

/**
 * uWS's own limits, from Sluice's settings (environment), set before the library loads. uWS
 * must never be the one to refuse a request within SPEC's limits: its header-size limit is
 * twice Sluice's (SLUICE_MAX_HEADER_BYTES) plus room for the request line, at least 64 KiB, so
 * a block over Sluice's limit still reaches Sluice, which answers its own 431. 20.57 reads
 * UWS_HTTP_MAX_HEADERS_SIZE once per process, when the library loads (default 4 KB); 20.30
 * ignores it (a fixed limit: 70 KB still reaches Sluice, 200 KB is dropped). The header count is fixed at compile time in both builds
 * (20.57: 100 lines, then its own 431; 20.30 hangs from 49 lines): README "Known limitations".
 */
export function uwsEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const configured = Number(env.SLUICE_MAX_HEADER_BYTES ?? DEFAULT_MAX_HEADER_BYTES);
  const headerBytes = Number.isInteger(configured) && configured >= 1024 ? configured : DEFAULT_MAX_HEADER_BYTES;
  return { UWS_HTTP_MAX_HEADERS_SIZE: String(Math.max(2 * headerBytes + 8192, 65536)) };
}

function applyEnvironment(): void {
  for (const [k, v] of Object.entries(uwsEnvironment())) {
    // An operator's explicit value wins; otherwise Sluice's.
    if (process.env[k] === undefined) process.env[k] = v;
  }
}

function dlopen(file: string): UwsModule {
  const m = { exports: {} as UwsModule };
  process.dlopen(m, file);
  return silence(m.exports);
}

/**
 * uWS writes a `uWebSockets: 20` header into every response head (HttpResponse::writeMark)
 * unless its event loop is silent (Loop::setSilent, which sets LoopData::noMark). Both builds
 * reach that switch through the undocumented `_cfg('silent')`; it acts on the calling thread's
 * loop, so every thread that loads uWS makes this call (loadUws runs once per thread). uWS's own
 * error pages are fixed strings and keep their `uWebSockets/20 Server` line (README "Known
 * limitations").
 */
function silence(m: UwsModule): UwsModule {
  const cfg = (m as unknown as { _cfg?: unknown })._cfg;
  if (typeof cfg === 'function') (cfg as (key: string) => void)('silent');
  return m;
}

let loaded: { uws: UwsModule; build: UwsBuild } | undefined;

/** Loads (once per thread) the newest uWS build this platform can load; throws UwsLoadError when none can. */
export function loadUws(): { uws: UwsModule; build: UwsBuild } {
  if (loaded) return loaded;
  if (/^(true|1)$/i.test(process.env.UWS_USE_FALLBACK ?? '')) {
    throw new UwsLoadError('uWebSockets.js native binary is not loaded: UWS_USE_FALLBACK is set, and Sluice runs only on a native build (never the `ws` fallback); unset it.');
  }
  applyEnvironment();
  const sea = globalThis.__SLUICE_SEA__;
  if (sea) {
    try {
      loaded = { uws: dlopen(sea.uws.file), build: { version: sea.uws.version, source: 'embedded', file: sea.uws.file } };
      return loaded;
    } catch (e) {
      throw new UwsLoadError(
        `uWebSockets.js native binary is not loaded: the ${sea.uws.version} build embedded in this executable does not load here: ${(e as Error).message}. ` +
          `This binary needs Linux ${process.arch} with glibc >= 2.38 (Debian 13, Ubuntu 24.04 or newer; glibc here: ${glibcVersion() ?? 'none'}).`,
      );
    }
  }
  const require = createRequire(import.meta.url);
  const name = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  const tried: string[] = [];
  for (const c of CANDIDATES) {
    let file: string;
    try {
      file = join(c.binaries(require.resolve(c.alias)), name);
    } catch {
      tried.push(`uWS ${c.version} (${c.alias}): not installed`);
      continue;
    }
    if (!existsSync(file)) {
      tried.push(`uWS ${c.version}: no binary for ${process.platform}-${process.arch}, Node ABI ${process.versions.modules}`);
      continue;
    }
    try {
      loaded = { uws: dlopen(file), build: { version: c.version, source: c.alias, file } };
      return loaded;
    } catch (e) {
      tried.push(`uWS ${c.version}: ${(e as Error).message.split('\n')[0]} (needs glibc >= ${c.glibc})`);
    }
  }
  throw new UwsLoadError(
    `uWebSockets.js native binary is not loaded: no build loads on Node ${process.versions.node} (ABI ${process.versions.modules}), ` +
      `${process.platform}-${process.arch}, glibc ${glibcVersion() ?? 'none'}:\n  - ${tried.join('\n  - ')}\n` +
      'Use Node.js 24 (or 22) on glibc >= 2.38 (Debian 13, Ubuntu 24.04), or Node.js 20 on an older glibc.',
  );
}

/** The C library's version (`2.41`), or null when it is not glibc (musl, macOS). */
let glibc: string | null | undefined;
export function glibcVersion(): string | null {
  if (glibc !== undefined) return glibc;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return (glibc = header?.glibcVersionRuntime ?? null);
}

/** `{node, uws, glibc}`, as `sluice --version` and admin `/status` report it (SPEC §7). */
export function runtimeInfo(): { node: string; uws: string | null; glibc: string | null } {
  let uws: string | null = null;
  try {
    uws = loadUws().build.version;
  } catch {
    uws = null;
  }
  return { node: process.versions.node, uws, glibc: glibcVersion() };
}
