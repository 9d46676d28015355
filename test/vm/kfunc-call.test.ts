import { describe, expect, it } from 'vitest';
import { XdpchainError } from '../../src/errors/index.js';
import { RunState } from '../../src/vm/run-state.js';
import type { HelperSpec } from '../../src/vm/helper.js';
import { engines } from './engines.js';
import { call, exit, mov64, testVm } from './program-helpers.js';

describe.each(engines)('kfunc calls ($name)', ({ create }) => {
  // A kfunc and a helper share the id 5: the call's src says which table the id is in.
  const kfunc: HelperSpec = { id: 5, name: 'test_kfunc', fn: (c) => c.lo(1) * 1000 + c.lo(2) * 10 + c.lo(5) };
  const helper: HelperSpec = { id: 5, name: 'bpf_ktime_get_ns', fn: () => 7 };

  it('call with src 2 runs the kfunc of the id in imm, with five arguments, as a helper', () => {
    const vm = testVm(create);
    const exe = vm.compile([mov64(1, 4), mov64(2, 3), mov64(5, 2), call(5, 'kfunc'), exit], [helper], 'k', [kfunc]);
    expect(exe.run(new RunState(), 0)).toBe(4032n);
    const viaHelper = vm.compile([call(5), exit], [helper], 'h', [kfunc]);
    expect(viaHelper.run(new RunState(), 0)).toBe(7n);
  });

  it('a kfunc id the table does not have is refused at load, naming the instruction', () => {
    const vm = testVm(create);
    let err: unknown;
    try {
      vm.compile([mov64(0, 0), call(6, 'kfunc'), exit], [], 'k', [kfunc]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(XdpchainError);
    expect((err as XdpchainError).message).toBe('program k, instruction 1: calls kernel function (kfunc) with id 6, which xdpchain does not provide');
  });
});
