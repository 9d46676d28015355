/**
 * Golden files against the kernel.
 *  - Always: every scenario has a golden file recorded from the object now in progs/build.
 *  - With a kernel (root, bpf(), bpftool): every scenario is re-run live and must give exactly
 *    the golden answers. Without one the live tests are skipped with the reason in their title;
 *    XDPCHAIN_REQUIRE_KERNEL=1 (set by CI) turns that skip into a failure.
 *  - XDPCHAIN_RECORD_GOLDEN=1 records the golden files instead of comparing.
 */
import { describe, expect, it } from 'vitest';
import { diffCaseResults, goldenNames, goldenProblems, readGolden, writeGolden } from './golden.js';
import { kernelAvailability, kernelInfo, recordGolden, runScenarioOnKernel } from './kernel-oracle.js';
import { allScenarios } from './scenarios/index.js';

const RECORD = process.env.XDPCHAIN_RECORD_GOLDEN === '1';
const REQUIRE = process.env.XDPCHAIN_REQUIRE_KERNEL === '1';
const scenarios = allScenarios();
const kernel = await kernelAvailability();

describe.sequential(RECORD ? 'recording golden files from the kernel' : 'live kernel still gives the golden answers', () => {
  if (!kernel.available) {
    if (REQUIRE || RECORD) {
      it('needs the kernel (XDPCHAIN_REQUIRE_KERNEL=1 or XDPCHAIN_RECORD_GOLDEN=1)', () => {
        throw new Error(`kernel test-run unavailable: ${kernel.reason}`);
      });
    } else {
      it.skip(`skipped, kernel unavailable: ${kernel.reason}`, () => {});
    }
    return;
  }
  for (const s of scenarios) {
    it(s.name, async () => {
      if (RECORD) {
        const g = await recordGolden(s, await kernelInfo());
        writeGolden(g);
        return;
      }
      const golden = readGolden(s.name);
      expect(goldenProblems(s, golden)).toEqual([]);
      const live = await runScenarioOnKernel(s);
      const problems = live.flatMap((c, i) =>
        diffCaseResults(golden!.cases[i].result, c.result, s.packets[i].mask).map((d) => `${s.name} / ${c.packet}: ${d}`),
      );
      expect(problems).toEqual([]);
    });
  }
});

describe('golden files fit the scenarios and objects', () => {
  it('every scenario has a golden file recorded from its current object and packets', () => {
    expect(scenarios.flatMap((s) => goldenProblems(s, readGolden(s.name)))).toEqual([]);
  });

  it('every golden file belongs to a scenario', () => {
    const names = new Set(scenarios.map((s) => s.name));
    expect(goldenNames().filter((n) => !names.has(n))).toEqual([]);
  });

  it('golden results are well-formed: a verdict 0..4 or an errno name, sorted map dumps', () => {
    const problems: string[] = [];
    for (const s of scenarios) {
      for (const c of readGolden(s.name)?.cases ?? []) {
        const r = c.result;
        const at = `${s.name} / ${c.packet}`;
        if ('error' in r) {
          if (!/^E[A-Z0-9]+$/.test(r.error)) problems.push(`${at}: error ${r.error}`);
          continue;
        }
        if (!Number.isInteger(r.retval) || r.retval < 0 || r.retval > 4) problems.push(`${at}: retval ${r.retval}`);
        if (!/^([0-9a-f]{2})*$/.test(r.dataOut)) problems.push(`${at}: dataOut is not hex`);
        for (const [name, dump] of Object.entries(r.maps)) {
          const keys = dump.map((e) => e.key);
          if (keys.join() !== [...keys].sort().join()) problems.push(`${at}: map ${name} not sorted by key`);
          if (s.ignoreMaps?.includes(name)) problems.push(`${at}: ignored map ${name} recorded`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
