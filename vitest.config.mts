import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    include: ['lib/**/*.test.ts', 'app/**/*.test.ts', 'db/**/*.test.ts', 'server/**/*.test.ts', 'cli/**/*.test.ts', 'workers/**/*.test.ts', 'conformance/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
