import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { decodeProgram } from '../../src/isa/program.js';
import { AddressSpace } from '../../src/vm/address-space.js';
import { CodeRegistry, type EngineOptions, type Executable, type ExecutionEngine } from '../../src/vm/engine.js';
import { helperTable, type HelperSpec } from '../../src/vm/helper.js';

/** Build a program from typed instructions. */
export function program(insns: Instruction[]) {
  return decodeProgram(
    insns.flatMap((i) => encodeInstruction(i)),
    { program: 'test' },
  );
}

export interface TestVm {
  space: AddressSpace;
  registry: CodeRegistry;
  engine: ExecutionEngine;
  compile(insns: Instruction[], helpers?: HelperSpec[], name?: string, kfuncs?: HelperSpec[]): Executable;
}

export function testVm(create: (o: EngineOptions) => ExecutionEngine): TestVm {
  const space = new AddressSpace({ maxDataBytes: 4 << 20 });
  const registry = new CodeRegistry();
  const engine = create({ space, registry });
  return {
    space,
    registry,
    engine,
    compile: (insns, helpers = [], name = 'test', kfuncs = []) =>
      engine.compile({
        name,
        program: decodeProgram(
          insns.flatMap((i) => encodeInstruction(i)),
          { program: name },
        ),
        helpers: helperTable(helpers),
        kfuncs: helperTable(kfuncs),
      }),
  };
}

// Shorthands for instructions used across engine tests.
export const mov64 = (dst: number, v: number | { reg: number }): Instruction => ({
  kind: 'alu',
  bits: 64,
  op: 'mov',
  dst,
  src: typeof v === 'number' ? { imm: v } : v,
});
export const mov32 = (dst: number, v: number | { reg: number }): Instruction => ({
  kind: 'alu',
  bits: 32,
  op: 'mov',
  dst,
  src: typeof v === 'number' ? { imm: v } : v,
});
export const alu = (
  bits: 32 | 64,
  op: Extract<Instruction, { kind: 'alu' }>['op'],
  dst: number,
  v: number | { reg: number },
  extendBits?: 8 | 16 | 32,
): Instruction => {
  const insn: Instruction = { kind: 'alu', bits, op, dst, src: typeof v === 'number' ? { imm: v } : v };
  if (extendBits) insn.extendBits = extendBits;
  return insn;
};
export const lddw = (dst: number, v: bigint): Instruction => ({ kind: 'ld_imm64', dst, pseudo: 0, imm: BigInt.asUintN(64, v) });
export const exit: Instruction = { kind: 'exit' };
export const ja = (offset: number, bits: 32 | 64 = 64): Instruction => ({ kind: 'jump', bits, cond: 'ja', dst: 0, src: { imm: 0 }, offset });
export const jmp = (
  cond: Extract<Instruction, { kind: 'jump' }>['cond'],
  dst: number,
  v: number | { reg: number },
  offset: number,
  bits: 32 | 64 = 64,
): Instruction => ({ kind: 'jump', bits, cond, dst, src: typeof v === 'number' ? { imm: v } : v, offset });
export const call = (imm: number, target: 'helper' | 'local' | 'kfunc' = 'helper'): Instruction => ({ kind: 'call', target, imm });
export const load = (size: 1 | 2 | 4 | 8, dst: number, base: number, off: number, signed = false): Instruction => ({
  kind: 'load',
  size,
  signed,
  dst,
  base,
  off,
});
export const store = (size: 1 | 2 | 4 | 8, base: number, off: number, value: number | { reg: number }): Instruction => ({
  kind: 'store',
  size,
  base,
  off,
  value: typeof value === 'number' ? { imm: value } : value,
});
