import { defineConfig } from 'vitest/config';

/**
 * `npm run test:quick` (XDPCHAIN_QUICK=1): the unit tests of the library, in under a minute on
 * two cores. Left out: the CLI (processes), the kernel and corpus comparisons, the state
 * directory, fuzz campaigns and the long property and random-program runs; `npm test` runs all.
 */
const SLOW = [
  'test/cli/**', 'test/corpus/**', 'test/differential/**', 'test/fuzz/**', 'test/state/**',
  'test/link/kernel.test.ts', 'test/link/compositions.test.ts', 'test/readme.test.ts',
  'test/vm/random-flow.test.ts', 'test/vm/alu-property.test.ts', 'test/vm/access-groups.test.ts',
  'test/runtime/graph.test.ts', 'test/vm/module-cache.test.ts',
];
const quick = process.env.XDPCHAIN_QUICK === '1';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: quick ? ['**/node_modules/**', ...SLOW] : ['**/node_modules/**'],
    // vitest leaves a core free by default; the quick run takes both.
    ...(quick ? { maxWorkers: 2 } : {}),
    // dist/ is rebuilt first when src/ is newer (CLI tests run it); then each run's temporary
    // directories live under one that the run removes at its end.
    globalSetup: ['test/dist-fresh.ts', 'test/run-temp-dir.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
