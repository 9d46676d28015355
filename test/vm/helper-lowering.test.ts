/**
 * A helper may carry its own wasm lowering (HelperSpec.wasm): the wasm engine compiles calls with
 * it instead of calling the helper's `fn`; where it declines (returns undefined), and on the
 * interpreter, `fn` runs. Here the two disagree on purpose, to see which one ran.
 */
import { describe, expect, it } from 'vitest';
import type { HelperSpec } from '../../src/vm/helper.js';
import { RunState } from '../../src/vm/run-state.js';
import { ENGINES } from '../../src/vm/engines.js';
import { call, exit, mov64, testVm } from './program-helpers.js';

/** r0 = 7 from the host; compiled, r0 = 40 + r1 unless r1 is 0 (then it declines). */
const helper: HelperSpec = {
  id: 77,
  name: 'test_helper',
  fn: () => 7,
  wasm: (g, pc) => {
    if (g.code.imm[pc - 1] === 0) return undefined;
    return [g.set(0, g.m.i64.add(g.get(1), g.m.i64.const(40, 0))), ...g.clearArgs()];
  },
};

describe('helpers with their own wasm lowering', () => {
  it('compile inline on the wasm engine, run their fn on the interpreter, and fall back to fn where the lowering declines', () => {
    const run = (engine: keyof typeof ENGINES, r1: number) =>
      testVm(ENGINES[engine])
        .compile([mov64(1, r1), call(77), exit], [helper])
        .run(new RunState(), 0);
    expect(run('wasm', 2)).toBe(42n);
    expect(run('interp', 2)).toBe(7n);
    expect(run('wasm', 0)).toBe(7n);
  });
});
