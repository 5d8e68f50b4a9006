import { defineConfig } from 'vitest/config';

// The multi-host test (npm test runs it): PostgreSQL on this host, workers on two others made of network namespaces.
export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    include: ['multihost/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
