import { describe, expect, it } from 'vitest';
import { engines } from '../vm/engines.js';
import { diffCaseResults, loadGoldenCases } from './golden.js';
import { runCaseOnXdpchain } from './xdpchain-runner.js';

/**
 * xdpchain against the kernel: every (program, packet) pair of every scenario must give the
 * kernel's recorded retval, output packet, ctx_out and map contents, on every engine.
 */
describe.each(engines)("xdpchain ($name) gives the kernel's answers (golden files)", ({ name }) => {
  const cases = loadGoldenCases();
  it.each(cases.map((c) => [c.scenario.name, c] as const))('%s', (_label, { scenario, golden }) => {
    const mismatches: string[] = [];
    scenario.packets.forEach((p, i) => {
      let actual;
      try {
        actual = runCaseOnXdpchain(scenario, p, { engine: name as 'interp', possibleCpus: golden.possibleCpus });
      } catch (e) {
        mismatches.push(`${p.name}: ${(e as Error).message}`);
        return;
      }
      for (const d of diffCaseResults(golden.cases[i].result, actual, p.mask)) mismatches.push(`${p.name}: ${d}`);
    });
    expect(mismatches).toEqual([]);
  });
});
