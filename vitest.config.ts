import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each run's temporary directories live under one that the run removes at its end.
    globalSetup: ['test/run-temp-dir.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
