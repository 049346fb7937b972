// `npm run build`, after tsc: compiles the configuration schemas into dist/config/validators.cjs
// (ajv standalone code) so that the gateway validates gateway.yaml without compiling schemas at
// run time. See src/config/validators.ts.
import { writeFileSync } from 'node:fs';
import { generateValidatorModule } from '../dist/config/validators.js';

writeFileSync(new URL('../dist/config/validators.cjs', import.meta.url), generateValidatorModule());
