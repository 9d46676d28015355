/**
 * Cases where the wasm engine once disagreed with the reference interpreter (found by review and
 * differential fuzzing); each engine must give the interpreter's answer.
 */
import { inlineTailCall } from '../../src/vm/wasm/inline-xdp.js';
import { describe, expect, it } from 'vitest';
import { decodeProgram } from '../../src/isa/program.js';
import type { RawInstruction } from '../../src/isa/raw.js';
import { AddressSpace } from '../../src/vm/address-space.js';
import { CodeRegistry } from '../../src/vm/engine.js';
import { helperTable, type HelperSpec } from '../../src/vm/helper.js';
import { RunState } from '../../src/vm/run-state.js';
import { engines } from './engines.js';

const I = (opcode: number, dst = 0, src = 0, off = 0, imm = 0): RawInstruction => ({ opcode, dst, src, off, imm });
const EXIT = I(0x95);

describe.each(engines)('agreement with the reference on $name', ({ create }) => {
  const setup = (insns: RawInstruction[], helpers: HelperSpec[] = [], opts: { callxHelperIds?: boolean } = {}) => {
    const space = new AddressSpace({ maxDataBytes: 1 << 20 });
    const engine = create({ space, registry: new CodeRegistry() });
    const exe = engine.compile({ name: 't', program: decodeProgram(insns), helpers: helperTable(helpers), ...opts });
    return { space, exe };
  };

  it('runs a conditional jump whose target is the next instruction', () => {
    // mov r0, 1; jeq r0, 1, +0; exit
    expect(setup([I(0xb7, 0, 0, 0, 1), I(0x15, 0, 0, 0, 1), EXIT]).exe.run(new RunState(), 0)).toBe(1n);
    // jne with a register operand, jump32 variant
    expect(setup([I(0xb7, 0, 0, 0, 7), I(0x5e, 0, 0, 0, 0), EXIT]).exe.run(new RunState(), 0)).toBe(7n);
  });

  it('ends the whole program with r0 = 0 when a legacy load inside a subprogram is out of bounds', () => {
    // main: mov r0, 5; call +2; add r0, 100; exit   sub: ldabsb 100; mov r0, 9; exit
    const { space, exe } = setup([I(0xb7, 0, 0, 0, 5), I(0x85, 0, 1, 0, 2), I(0x07, 0, 0, 0, 100), EXIT, I(0x30, 0, 0, 0, 100), I(0xb7, 0, 0, 0, 9), EXIT]);
    const pkt = space.alloc(16, 'packet');
    const state = () => new RunState({ host: { legacyPacket: { addr: pkt.addr, len: 16 } } });
    expect(exe.run(state(), 0)).toBe(0n);
    expect(exe.runU32(state(), 0)).toBe(0);
  });

  it('clears r1..r5 after a helper reached through callx, and never tail-calls through it', () => {
    const h5: HelperSpec = { id: 5, name: 'h5', fn: () => 77 };
    // mov r1, 3; mov r2, 5; callx r2; mov r0, r1; exit
    expect(setup([I(0xb7, 1, 0, 0, 3), I(0xb7, 2, 0, 0, 5), I(0x8d, 2), I(0xbf, 0, 1), EXIT], [h5], { callxHelperIds: true }).exe.run(new RunState(), 0)).toBe(
      0n,
    );
    const tail: HelperSpec = { id: 12, name: 'bpf_tail_call', fn: () => 0, tailCall: (c) => (c.state.tailCalls < 1 ? c.exe : undefined), wasm: inlineTailCall };
    // mov r6, 12; mov r0, 1; callx r6; add r0, 100; exit
    expect(
      setup([I(0xb7, 6, 0, 0, 12), I(0xb7, 0, 0, 0, 1), I(0x8d, 6), I(0x07, 0, 0, 0, 100), EXIT], [tail], { callxHelperIds: true }).exe.run(new RunState(), 0),
    ).toBe(100n);
  });

  it('does not charge the budget for instructions after a tail call that left', () => {
    const tail: HelperSpec = {
      id: 12,
      name: 'bpf_tail_call',
      fn: () => 0,
      tailCall: (c) => (c.state.tailCalls < 33 ? c.exe : undefined),
      wasm: inlineTailCall,
    };
    // add r6, 1; call bpf_tail_call; mov r0, 42; exit — tail-calls itself 33 times
    const { exe } = setup([I(0x07, 6, 0, 0, 1), I(0x85, 0, 0, 0, 12), I(0xb7, 0, 0, 0, 42), EXIT], [tail]);
    const state = new RunState();
    expect(exe.run(state, 0)).toBe(42n);
    expect(state.executed).toBe(34 * 2 + 2);
  });
});
