import { defineConfig } from 'vitest/config';

// The attack suite (npm run test:attack): real servers as child processes,
// attacked from a network namespace. Files run one at a time — each starts
// its own servers, and the machine may have two cores.
export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    include: ['attack/**/*.test.ts'],
    globalSetup: ['attack/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
