// Router micro-benchmark: Sluice's router vs find-my-way and memoirist, in the same process, on
// equivalent route tables (300 and 1,000 routes) and one request mix that hits every kind of
// route plus misses. Needs the compiled router: `npx tsc -p tsconfig.build.json` (or `npm run
// build`), then `node bench/router.js`. Each contender runs ~2 s per table (BENCH_MS to change),
// split into 10 interleaved rounds (BENCH_ROUNDS); each contender's best round counts, which on
// a shared, noisy machine is the one least disturbed by other processes.
//
// Mapping to the other routers (they do not support everything Sluice does):
//   prefix `/a/b`          → find-my-way `/a/b*` (its wildcard also matches `/a/b` itself);
//                            memoirist `/a/b` + `/a/b/*` (no mid-segment wildcard)
//   template `{x}`/`{x+}`  → `:x` / trailing `*`
//   regex `~/r/(?<y>\d{4})/(?<m>\d{2})$` → find-my-way `:y(^\d{4}$)/:m(^\d{2}$)` regex params;
//                            memoirist plain `:y/:m` (no regex params)
//   hosts                  → find-my-way host constraint (string, or RegExp for wildcards);
//                            memoirist: none (hosts ignored, duplicate paths dropped)
//   methods: [] (any)      → registered for every method of the mix
// Kong's priority rules (weights, regex_priority, headers) have no equivalent elsewhere, so
// find-my-way and memoirist may return another route for some requests; the table prints how
// many requests each router matched so the sets can be compared.
//
// What each lookup costs: find-my-way and memoirist build their params object on every lookup.
// Sluice's match builds params, upstreamPath and strippedPrefix only when they are first read
// (and runs a regex path's exec() only then), so there are three Sluice rows:
//   sluice               reads `index` only: the routing decision;
//   sluice +params       also reads `params`: the same outputs the other two routers return,
//                        the like-for-like row;
//   sluice +proxy fields also reads `upstreamPath` and `strippedPrefix` (Kong strip_path /
//                        path_handling), as the proxy does on every request; work the others
//                        do not do at all.
// Every pass consumes a field of every result (Sluice `index`, the others' `store`), so no
// lookup can be optimized away.
//
// Request strings: a server hands the router flat strings made from the request bytes (uWS
// `getUrl()` / `getHeader()`; the proxy routes on getUrl()'s string as is). Strings built here with
// template literals would be V8 cons strings, slower to read char by char, so every path and
// host of the mix is re-made from its bytes once; all contenders get the same string objects.
import { pathToFileURL } from 'node:url';
import FindMyWay from 'find-my-way';
import { Memoirist } from 'memoirist';
import { createRouter } from '../dist/router/index.js';
import { fmt, table } from './lib.js';

// BENCH_ROUTER_BEFORE=/path/to/other/dist/router/index.js adds that build's three Sluice rows
// ("... (before)"), measured in the same rounds, for before/after comparisons of a change.
const beforeModule = process.env.BENCH_ROUTER_BEFORE ? await import(pathToFileURL(process.env.BENCH_ROUTER_BEFORE).href) : null;

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];

/** The string as a server would create it from request bytes: flat (not a V8 cons string). */
function fromBytes(s) {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** Deterministic PRNG so every run benches the same tables. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function baseRoute(i, over) {
  return {
    id: `r${i}`, name: `r${i}`, service: 'svc', paths: [], methods: [], hosts: [], headers: {}, snis: [],
    protocols: ['http', 'https'], strip_path: true, preserve_host: false, regex_priority: 0,
    path_handling: 'v0', https_redirect_status_code: 426, request_buffering: true,
    response_buffering: true, tags: [], order: i, pos: { file: 'bench', line: i + 1, column: 1 }, ...over,
  };
}

/**
 * A realistic table: per "service" k, a handful of prefix routes, templates, a regex, and some
 * host-bound tenants. Returns routes + the equivalent registrations + a request mix.
 */
export function generate(count, seed = 42) {
  const rand = rng(seed);
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const routes = [];
  const fmw = []; // { methods, path, host }
  const mem = []; // { methods, path }
  const requests = []; // { method, path, host }
  let k = 0;
  while (routes.length < count) {
    const svc = `svc${k}`;
    const ver = `v${1 + (k % 3)}`;
    const i = routes.length;
    const kind = i % 10;
    const methods = kind % 3 === 0 ? ['GET'] : kind % 3 === 1 ? ['GET', 'POST'] : [];
    const ms = methods.length ? methods : METHODS;
    const m = pick(ms);
    if (kind <= 4) {
      // prefix routes, some host-bound
      const host = kind === 4 ? `tenant${k}.example.com` : null;
      const p = kind === 0 ? `/${svc}` : `/api/${ver}/${svc}/${['users', 'orders', 'items', 'search'][kind % 4]}`;
      routes.push(baseRoute(i, { paths: [p], methods, hosts: host ? [host] : [] }));
      fmw.push({ methods: ms, path: `${p}*`, host });
      mem.push({ methods: ms, path: p }, { methods: ms, path: `${p}/*` });
      requests.push({ method: m, path: `${p}/${Math.floor(rand() * 1000)}/details`, host: host ?? 'gw.example.com' });
    } else if (kind <= 6) {
      // templates
      const t = kind === 5 ? `/${svc}/items/{id}` : `/${svc}/users/{uid}/orders/{oid}`;
      const f = t.replace(/\{(\w+)\}/g, ':$1');
      routes.push(baseRoute(i, { paths: [t], methods, strip_path: false }));
      fmw.push({ methods: ms, path: f, host: null });
      mem.push({ methods: ms, path: f });
      requests.push({ method: m, path: kind === 5 ? `/${svc}/items/${i * 7}` : `/${svc}/users/u${i}/orders/${i * 3}`, host: 'gw.example.com' });
    } else if (kind === 7) {
      // greedy template
      const t = `/${svc}/files/{path+}`;
      routes.push(baseRoute(i, { paths: [t], methods, strip_path: false }));
      fmw.push({ methods: ms, path: `/${svc}/files/*`, host: null });
      mem.push({ methods: ms, path: `/${svc}/files/*` });
      requests.push({ method: m, path: `/${svc}/files/a/b/c${i}.txt`, host: 'gw.example.com' });
    } else if (kind === 8) {
      // regex with named captures
      routes.push(baseRoute(i, { paths: [`~/${svc}/reports/(?<year>\\d{4})/(?<month>\\d{2})$`], methods }));
      fmw.push({ methods: ms, path: `/${svc}/reports/:year(^\\d{4}$)/:month(^\\d{2}$)`, host: null });
      mem.push({ methods: ms, path: `/${svc}/reports/:year/:month` });
      requests.push({ method: m, path: `/${svc}/reports/2024/0${1 + (i % 9)}`, host: 'gw.example.com' });
    } else {
      // wildcard-host route
      const host = `*.apps${k}.example.com`;
      routes.push(baseRoute(i, { paths: [`/${svc}/dash`], hosts: [host], methods }));
      fmw.push({ methods: ms, path: `/${svc}/dash*`, host: new RegExp(`^.+\\.apps${k}\\.example\\.com$`) });
      mem.push({ methods: ms, path: `/${svc}/dash` }, { methods: ms, path: `/${svc}/dash/*` });
      requests.push({ method: m, path: `/${svc}/dash/home`, host: `x.apps${k}.example.com` });
      k++;
    }
  }
  // misses: unknown services, wrong method, wrong shape
  const hits = requests.length;
  for (let j = 0; j < Math.ceil(hits / 5); j++) {
    const r = requests[Math.floor(rand() * hits)];
    const miss = j % 3;
    if (miss === 0) requests.push({ method: 'GET', path: `/nope${j}/x/y`, host: 'gw.example.com' });
    else if (miss === 1) requests.push({ method: 'PATCH', path: r.path, host: r.host });
    else requests.push({ method: 'GET', path: `/unknown/${j}/items`, host: 'other.example.org' });
  }
  // shuffle deterministically
  for (let j = requests.length - 1; j > 0; j--) {
    const x = Math.floor(rand() * (j + 1));
    [requests[j], requests[x]] = [requests[x], requests[j]];
  }
  for (const r of requests) {
    r.path = fromBytes(r.path);
    r.host = fromBytes(r.host);
  }
  return { routes, fmw, mem, requests };
}

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 10));

/** Checksums of the results, so no contender's lookups are dead code. */
let consumed = 0;

/**
 * Times `pass` (one pass over the whole request mix, returning how many requests matched). Each contender has
 * its own pass function, so its inner loop stays monomorphic; the call through `pass` happens
 * once per pass, not per lookup.
 */
function measure(pass, n, ms) {
  let sink = 0;
  const warmEnd = performance.now() + Math.min(200, ms / 4);
  while (performance.now() < warmEnd) sink += pass();
  let ops = 0;
  // CPU time, not wall time: on a shared machine time spent descheduled is not the router's
  const cpu0 = process.cpuUsage();
  const end = performance.now() + ms;
  while (performance.now() < end) {
    sink += pass();
    ops += n;
  }
  const cpu = process.cpuUsage(cpu0);
  return { opsPerSec: (ops / (cpu.user + cpu.system)) * 1e6, sink };
}

function sluicePassesSource(label, sluice, n, inputs, consume) {
  return [
    [`sluice${label}`, () => {
      let h = 0;
      let x = 0;
      for (let i = 0; i < n; i++) {
        const m = sluice.match(inputs[i]);
        if (m !== null) {
          h++;
          x += m.index;
        }
      }
      consume(x);
      return h;
    }],
    [`sluice +params${label}`, () => {
      let h = 0;
      let x = 0;
      for (let i = 0; i < n; i++) {
        const m = sluice.match(inputs[i]);
        if (m !== null) {
          h++;
          x += m.index;
          if (m.params !== null) x++;
        }
      }
      consume(x);
      return h;
    }],
    [`sluice +proxy fields${label}`, () => {
      let h = 0;
      let x = 0;
      for (let i = 0; i < n; i++) {
        const m = sluice.match(inputs[i]);
        if (m !== null) {
          h++;
          x += m.index + m.upstreamPath.length;
          if (m.params !== null) x++;
          const s = m.strippedPrefix;
          if (s !== null) x += s.length;
        }
      }
      consume(x);
      return h;
    }],
  ];
}

function sluicePasses(label, sluice, n, inputs) {
  const fresh = new Function(`return ${sluicePassesSource.toString()}`)();
  return fresh(label, sluice, n, inputs, (x) => {
    consumed += x;
  });
}

function benchTable(count, ms) {
  const { routes, fmw, mem, requests } = generate(count);
  const n = requests.length;

  const sluice = createRouter(routes, new Map([['svc', { id: 'svc', path: null }]]));
  const inputs = requests.map((r) => ({ method: r.method, host: r.host, port: 8000, path: r.path, headers: {}, sni: null, upgrade: false }));

  const fmwRouter = FindMyWay({ ignoreTrailingSlash: false });
  const noop = () => {};
  const seen = new Set();
  for (const [i, r] of fmw.entries()) {
    for (const m of r.methods) {
      const key = `${m} ${r.path} ${r.host}`;
      if (seen.has(key)) continue;
      seen.add(key);
      try {
        fmwRouter.on(m, r.path, r.host ? { constraints: { host: r.host } } : {}, noop, i); // store = i
      } catch {
        /* conflicting registration: skipped */
      }
    }
  }
  const fmwConstraints = requests.map((r) => ({ host: r.host }));

  const memRouter = new Memoirist();
  for (const [i, r] of mem.entries()) {
    for (const m of r.methods) {
      try {
        memRouter.add(m, r.path, i);
      } catch {
        /* duplicate/conflict: skipped */
      }
    }
  }

  // one pass over the request mix per contender; each returns how many requests matched and
  // adds a field of every result to `consumed`. The loops are written out once per contender on
  // purpose: a shared loop calling `find` through a parameter would be one megamorphic call site
  // for all routers, and would time V8's dispatch rather than the routers.
  const before = beforeModule === null ? [] : sluicePasses(' (before)', beforeModule.createRouter(routes, new Map([['svc', { id: 'svc', path: null }]])), n, inputs);
  const passes = [
    ...sluicePasses('', sluice, n, inputs),
    ...before,
    ['find-my-way', () => {
      let h = 0;
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r = requests[i];
        const m = fmwRouter.find(r.method, r.path, fmwConstraints[i]);
        if (m !== null) {
          h++;
          x += m.store;
        }
      }
      consumed += x;
      return h;
    }],
    ['memoirist', () => {
      let h = 0;
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r = requests[i];
        const m = memRouter.find(r.method, r.path);
        if (m !== null) {
          h++;
          x += m.store;
        }
      }
      consumed += x;
      return h;
    }],
  ];
  // The machine may be shared: interleave the contenders over several rounds and keep each
  // one's best round (the one least disturbed by other processes).
  const rounds = ROUNDS;
  const best = new Map(passes.map(([name]) => [name, 0]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, pass] of passes) {
      const { opsPerSec } = measure(pass, n, ms / rounds);
      if (opsPerSec > best.get(name)) best.set(name, opsPerSec);
    }
  }
  const rows = passes.map(([name, pass]) => ({ routes: count, router: name, lookupsPerSec: Math.round(best.get(name)), matched: `${pass()}/${n}` }));
  const s = rows[0].lookupsPerSec;
  for (const r of rows) r.sluiceRatio = +(s / r.lookupsPerSec).toFixed(2);
  return rows;
}

/** Runs both tables; returns rows { routes, router, lookupsPerSec, matched, sluiceRatio }. */
export async function run({ ms = Number(process.env.BENCH_MS ?? 2000), sizes = [300, 1000] } = {}) {
  const rows = [];
  for (const size of sizes) rows.push(...benchTable(size, ms));
  console.log(`\n## Router: lookups per CPU-second in one process, ${ms} ms per contender per table, best of ${ROUNDS} interleaved rounds\n`);
  table([['routes', 'router', 'lookups/s', 'matched'], ...rows.map((r) => [r.routes, r.router, fmt(r.lookupsPerSec), r.matched ?? ''])]);
  const ratios = [['routes', 'ratio', 'value']];
  for (const size of new Set(rows.map((r) => r.routes))) {
    const of = (name) => rows.find((r) => r.routes === size && r.router === name).lookupsPerSec;
    ratios.push([size, 'sluice / find-my-way (target ≥ 2)', fmt(of('sluice') / of('find-my-way'), 2)]);
    ratios.push([size, 'sluice / memoirist (target ≥ 1)', fmt(of('sluice') / of('memoirist'), 2)]);
    for (const row of ['sluice +params', 'sluice +proxy fields']) {
      ratios.push([size, `${row} / find-my-way`, fmt(of(row) / of('find-my-way'), 2)]);
      ratios.push([size, `${row} / memoirist`, fmt(of(row) / of('memoirist'), 2)]);
    }
  }
  console.log('');
  table(ratios);
  if (consumed === -1) console.log(''); // never true: only keeps `consumed` observable
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run();
}
