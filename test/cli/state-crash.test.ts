import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CrashBench, type TrialResult } from './crash-trials.js';
import { tempDir } from './cli.js';

/**
 * Mutating commands killed with SIGKILL at random times: the state directory must load, and
 * hold either the state before the command or the state after it. XDPCHAIN_CRASH_TRIALS sets
 * the number of trials (default 24, about 30 s here; the campaign in the report ran 200),
 * XDPCHAIN_CRASH_SEED the random seed (printed, to replay a failure).
 */
const TRIALS = Number(process.env.XDPCHAIN_CRASH_TRIALS ?? 24);
const SEED = Number(process.env.XDPCHAIN_CRASH_SEED ?? Date.now() % 2 ** 31);

describe('crashes while changing the state directory', () => {
  it(
    `${TRIALS} mutating commands killed at random points (seed ${SEED}): the state is the one before or the one after`,
    async () => {
      const root = tempDir('crash');
      try {
        const bench = await CrashBench.create(root, SEED);
        const results: TrialResult[] = [];
        for (let n = 0; n < TRIALS; n++) results.push(await bench.trial(n));
        const tally = (o: TrialResult['outcome']) => results.filter((r) => r.outcome === o).length;
        const leftovers = results.reduce((n, r) => n + r.leftovers, 0);
        process.stdout.write(
          `crash trials (seed ${SEED}): ${TRIALS} run, ${tally('before')} killed before the save, ${tally('after')} killed after it, ${tally('finished')} finished first; ${leftovers} temporary files left behind\n`,
        );
        expect(results.filter((r) => r.failures.length > 0).map((r) => `${r.command}: ${r.failures.join('; ')}`)).toEqual([]);
        // Trials that never interrupt anything would prove nothing.
        expect(tally('before') + tally('after')).toBeGreaterThan(TRIALS / 3);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
    90_000 + TRIALS * 3_000,
  );
});
