/** The environment helpers (src/helpers/environment.ts): time, randomness, the CPU id. */
import { describe, expect, it } from 'vitest';
import { environmentHelpers } from '../../src/helpers/environment.js';
import type { HelperServices } from '../../src/helpers/services.js';
import { ENGINES } from '../../src/vm/engines.js';
import { RunState } from '../../src/vm/run-state.js';
import { helperTable } from '../../src/vm/helper.js';
import { call, exit, program, testVm } from '../vm/program-helpers.js';

describe('bpf_get_smp_processor_id', () => {
  it("compiles to a read of the runtime's CPU cell on the wasm engine, and calls the helper on the interpreter", () => {
    // The helper says CPU 7, the cell 3: each engine shows which one it asked.
    const helpers = environmentHelpers({ cpu: () => 7 } as Partial<HelperServices> as HelperServices);
    const run = (engine: keyof typeof ENGINES) => {
      const vm = testVm(ENGINES[engine]);
      const cell = vm.space.allocPrivate(4, 'cpu cell');
      vm.space.dv.setUint32(cell, 3, true);
      const exe = vm.engine.compile({ name: 'cpu', program: program([call(8), exit]), helpers: helperTable(helpers), kfuncs: new Map(), cpuCell: cell });
      return exe.run(new RunState(), 0);
    };
    expect(run('wasm')).toBe(3n);
    expect(run('interp')).toBe(7n);
  });
});
