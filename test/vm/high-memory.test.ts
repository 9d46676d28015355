/**
 * Memory above 2 GiB: addresses are unsigned 32-bit on every engine, so regions placed after a
 * 2.5 GiB filler (which costs no memory: it is never touched) load, store and fault as any other.
 */
import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { decodeProgram } from '../../src/isa/program.js';
import { VmFault } from '../../src/errors/index.js';
import { AddressSpace } from '../../src/vm/address-space.js';
import { CodeRegistry, type EngineOptions, type ExecutionEngine } from '../../src/vm/engine.js';
import { helperTable } from '../../src/vm/helper.js';
import { RunState } from '../../src/vm/run-state.js';
import { engines } from './engines.js';
import { exit, lddw, load, store } from './program-helpers.js';

const GiB = 2 ** 30;
const VALUE = 0x1122334455667788n;

/** A 4 GiB space whose next regions land above 2 GiB, and a compiler for programs run with r1 = an address. */
function highVm(create: (o: EngineOptions) => ExecutionEngine, filler = 2.5 * GiB) {
  const space = new AddressSpace();
  const engine = create({ space, registry: new CodeRegistry() });
  space.allocPrivate(filler, 'filler');
  const compile = (insns: Instruction[]) =>
    engine.compile({
      name: 'high',
      program: decodeProgram(
        insns.flatMap((i) => encodeInstruction(i)),
        { program: 'high' },
      ),
      helpers: helperTable([]),
    });
  const run = (insns: Instruction[], r1: number): bigint => compile(insns).run(new RunState(), r1);
  const fault = (insns: Instruction[], r1: number): VmFault => {
    try {
      run(insns, r1);
    } catch (e) {
      if (e instanceof VmFault) return e;
      throw e;
    }
    throw new Error('the program did not fault');
  };
  return { space, run, fault };
}

/** *(u64 *)(r1 + off) = VALUE; *(u32 *)(r1 + off2) = 7; r0 = *(u64 *)(r1 + off) + *(u32 *)(r1 + off2): accesses grouped through r1. */
const storeAndLoad = (off: number, off2: number): Instruction[] => [
  lddw(2, VALUE),
  store(8, 1, off, { reg: 2 }),
  store(4, 1, off2, 7),
  load(8, 0, 1, off),
  load(4, 3, 1, off2),
  { kind: 'alu', bits: 64, op: 'add', dst: 0, src: { reg: 3 } },
  exit,
];

describe.each(engines)('memory above 2 GiB on $name', ({ create }) => {
  it('loads and stores in a region above 2 GiB, one access at a time and as a group', () => {
    const { space, run } = highVm(create);
    const r = space.alloc(40, 'high');
    expect(r.addr).toBeGreaterThan(2 ** 31);
    expect(run(storeAndLoad(32, 0), r.addr)).toBe(VALUE + 7n);
    expect(space.dv.getBigUint64(r.addr + 32, true)).toBe(VALUE);
    expect(run([load(4, 0, 1, 0), exit], r.addr)).toBe(7n);
  });

  it('faults one byte past the end of a region above 2 GiB, naming it', () => {
    const { space, fault } = highVm(create);
    const r = space.alloc(40, 'high');
    for (const program of [[load(8, 0, 1, 33), exit], storeAndLoad(33, 0)]) {
      const f = fault(program, r.addr);
      expect(f.kind).toBe('out-of-bounds');
      expect(f.message).toMatch(/8-byte access at 0x[0-9a-f]+ runs 1 bytes past the end of high \(40 bytes\)/);
    }
  });

  it('refuses a store to a read-only region above 2 GiB and allows loads from it', () => {
    const { space, run, fault } = highVm(create);
    const r = space.setReadOnly(space.alloc(40, 'high'), true);
    space.dv.setUint32(r.addr + 4, 9, true);
    expect(run([load(4, 0, 1, 4), exit], r.addr)).toBe(9n);
    const f = fault([store(4, 1, 4, 1), exit], r.addr);
    expect(f.kind).toBe('read-only');
    expect(f.message).toMatch(/write of 4 bytes: address 0x[0-9a-f]+ is 4 bytes into high \(40 bytes, read-only\), which is read-only/);
  });

  it('uses a large region above 2 GiB at once, its chunks marked as accesses reach them', () => {
    const { space, run, fault } = highVm(create);
    const big = space.alloc(8 * 2 ** 20 + 4, 'big');
    const at = big.addr + 5 * 2 ** 20 + 3;
    expect(run(storeAndLoad(0, 16), at)).toBe(VALUE + 7n);
    expect(run(storeAndLoad(0, 0x7ff8), big.addr + big.size - 0x8000)).toBe(VALUE + 7n);
    // An access across the boundary of two chunks, neither marked yet.
    expect(run(storeAndLoad(0, 8), big.addr + 3 * 2 ** 16 - 4)).toBe(VALUE + 7n);
    expect(fault([load(8, 0, 1, 0), exit], big.addr + big.size - 4).message).toMatch(/runs 4 bytes past the end of big/);
  });

  it('allows accesses anywhere in a region larger than 2 GiB (saturated shadow entries) and none past its end', () => {
    const { space, run, fault } = highVm(create, 64 * 2 ** 20);
    const huge = space.alloc(2.5 * GiB + 4, 'huge');
    const end = huge.addr + huge.size;
    expect(run(storeAndLoad(0, 8), huge.addr)).toBe(VALUE + 7n);
    expect(run(storeAndLoad(0, 8), 2 ** 31 - 4)).toBe(VALUE + 7n);
    expect(run(storeAndLoad(0, 8), end - 12)).toBe(VALUE + 7n);
    expect(fault([load(8, 0, 1, 0), exit], end - 4).message).toMatch(/runs 4 bytes past the end of huge/);
  });
});
