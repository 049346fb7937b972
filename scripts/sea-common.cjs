// Shared by the single executable's two entry points (scripts/sea-entry.cjs, sea-worker.cjs):
// makes every bundled module's `import.meta.url` (rewritten by scripts/build-binary.js) point at
// its file under the extraction root, and tells src/uws/load.ts which uWS file to dlopen.
'use strict';
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

exports.useRoot = function useRoot(root, manifest) {
  globalThis.__sluicePath = (rel) => join(root, rel);
  globalThis.__sluiceDir = (rel) => join(root, rel, '..');
  globalThis.__sluiceUrl = (rel) => pathToFileURL(join(root, rel)).href;
  globalThis.__SLUICE_SEA__ = { root, uws: { version: manifest.uws.version, file: join(root, manifest.uws.file) } };
};
