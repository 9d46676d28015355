import { describe, expect, it } from 'vitest';
import { runCampaign } from '../../tools/fuzz/campaign.js';
import { inputRng } from '../../tools/fuzz/prng.js';
import { emptySummary, record } from '../../tools/fuzz/summary.js';
import { TARGETS } from '../../tools/fuzz/targets/index.js';
import type { TargetName } from '../../tools/fuzz/target.js';

/**
 * A bounded campaign per target with a fixed seed, so the suite catches a regression the fuzzer
 * found before (npm run fuzz runs the long ones).
 */
const SEED = 20261203;
const SECONDS_PER_TARGET = 2.5;
const CAMPAIGN: readonly TargetName[] = ['elf', 'btf', 'pcap', 'pcapng', 'state', 'asm'];

describe('fuzz campaign', () => {
  for (const name of CAMPAIGN) {
    it(`${name}: every mutant ends in success or a typed error`, async () => {
      const target = await TARGETS[name].open();
      const summary = emptySummary(name, SEED);
      const failures: string[] = [];
      try {
        await runCampaign({
          target,
          name,
          seed: SEED,
          from: 0,
          to: 1_000_000,
          deadline: Date.now() + SECONDS_PER_TARGET * 1000,
          onOutcome: (index, outcome, input) => {
            if (record(summary, index, outcome))
              failures.push(
                `input ${index} (${Buffer.from(input).toString('hex').slice(0, 200)}...): ${outcome.kind === 'internal' ? outcome.stack || outcome.key : ''}`,
              );
          },
        });
      } finally {
        target.close();
      }
      expect(failures).toEqual([]);
      // A campaign that ran nothing, or whose mutants all fail the same way, tests nothing.
      expect(summary.tried).toBeGreaterThan(20);
      expect(summary.ok).toBeGreaterThan(0);
      expect(Object.keys(summary.typed).length).toBeGreaterThan(1);
    });
  }

  it('one seed gives the same inputs, each regenerated alone from its index', async () => {
    const target = await TARGETS.elf.open();
    try {
      const first = [0, 1, 2, 500].map((i) => target.generate(inputRng(1, 'elf', i)));
      const again = [500, 2, 1, 0].map((i) => target.generate(inputRng(1, 'elf', i))).reverse();
      expect(again).toEqual(first);
      expect(target.generate(inputRng(2, 'elf', 0))).not.toEqual(first[0]);
    } finally {
      target.close();
    }
  });
});
