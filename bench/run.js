// `npm run bench [-- NAME...]`: runs the named benchmarks (default: all) in one invocation.
// Each prints its own table with ratios measured side by side in the same run.
import { pathToFileURL } from 'node:url';

const ALL = {
  router: () => import('./router.js'),
  proxy: () => import('./proxy.js'),
  auth: () => import('./auth.js'),
  traffic: () => import('./traffic.js'),
  cache: () => import('./cache.js'),
  websocket: () => import('./websocket.js'),
  reload: () => import('./reload.js'),
  plugins: () => import('./plugins.js'),
};

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = names.length ? names : Object.keys(ALL);
for (const name of selected) {
  if (!ALL[name]) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(ALL).join(', ')}`);
    process.exit(2);
  }
}
for (const name of selected) {
  const mod = await ALL[name]();
  await mod.run();
}
process.exit(0);
