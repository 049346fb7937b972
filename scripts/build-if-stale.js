// `npm start` and `npm run prepare`: runs `npm run build` only when dist/ is missing or older than
// its inputs (src/, schemas/, tsconfig*.json, package.json), so starting is not a 20 s rebuild
// each time. Skips quietly when TypeScript is not installed (`npm ci --omit=dev`): dist/ then
// comes from elsewhere (the published package, or a build step).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = join(ROOT, 'dist', 'config', 'validators.cjs'); // the build's last step writes it

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const f of readdirSync(path, { recursive: true })) max = Math.max(max, statSync(join(path, String(f))).mtimeMs);
  return max;
}

const inputs = ['src', 'schemas', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts/build-validators.js'].map((p) => newest(join(ROOT, p)));
const built = existsSync(OUTPUT) ? statSync(OUTPUT).mtimeMs : 0;
if (built >= Math.max(...inputs)) process.exit(0);
try {
  createRequire(import.meta.url).resolve('typescript');
} catch {
  if (!existsSync(OUTPUT)) console.error('sluice: dist/ is not built and TypeScript is not installed: run `npm ci` (with dev dependencies), then `npm run build`');
  process.exit(0);
}
console.error(existsSync(OUTPUT) ? 'sluice: sources changed since the last build; building' : 'sluice: building dist/');
const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
process.exit(r.status ?? 1);
