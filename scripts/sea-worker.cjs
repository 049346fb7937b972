// The single executable's worker thread script. It is extracted to <root>/dist/server/worker.js,
// where src/server/workers.ts looks for it, and runs as a plain CommonJS file (not the SEA main).
'use strict';
const { readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { useRoot } = require('./sea-common.cjs');

const root = resolve(__dirname, '..', '..');
useRoot(root, JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')));
require('../dist/server/worker.js');
