import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/setup.ts'],
    // 2-core machines: a few files at once; e2e files each start real gateways and upstreams.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
