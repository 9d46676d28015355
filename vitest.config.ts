import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // dist/ is rebuilt first when src/ is newer (CLI tests run it); then each run's temporary
    // directories live under one that the run removes at its end.
    globalSetup: ['test/dist-fresh.ts', 'test/run-temp-dir.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
