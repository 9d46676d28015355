/** bpf_loop as the kernel runs it (kernel/bpf/bpf_iter.c), also where an engine runs the loop inline. */
import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { ProgramSpec } from '../../src/object-spec/program-spec.js';
import { engines } from '../vm/engines.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

/**
 * cb(i, ctx) adds 1 to the u64 that ctx points to (on the caller's stack) and returns 1 once
 * i reaches `stopAt`, else 0. The program returns bpf_loop's result as
 * (high word & 0xff) << 16 | (low word & 0xffff), plus 1000 per callback made.
 */
function loopProgram(n: number, flags: number, stopAt: number): ProgramSpec {
  const i: Instruction[] = [
    { kind: 'store', size: 8, base: 10, off: -8, value: { imm: 0 } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { imm: n } },
    { kind: 'ld_imm64', dst: 2, pseudo: PseudoLd.FUNC, imm: 0n },
    { kind: 'alu', bits: 64, op: 'mov', dst: 3, src: { reg: 10 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 3, src: { imm: -8 } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 4, src: { imm: flags } },
    { kind: 'call', target: 'helper', imm: 181 },
    { kind: 'alu', bits: 64, op: 'mov', dst: 6, src: { reg: 0 } },
    { kind: 'alu', bits: 64, op: 'rsh', dst: 6, src: { imm: 32 } },
    { kind: 'alu', bits: 64, op: 'and', dst: 6, src: { imm: 0xff } },
    { kind: 'alu', bits: 64, op: 'lsh', dst: 6, src: { imm: 16 } },
    { kind: 'alu', bits: 64, op: 'and', dst: 0, src: { imm: 0xffff } },
    { kind: 'alu', bits: 64, op: 'or', dst: 0, src: { reg: 6 } },
    { kind: 'load', size: 8, signed: false, dst: 1, base: 10, off: -8 },
    { kind: 'alu', bits: 64, op: 'mul', dst: 1, src: { imm: 1000 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 0, src: { reg: 1 } },
    { kind: 'exit' },
    // cb(i, ctx): *ctx += 1; return i >= stopAt
    { kind: 'load', size: 8, signed: false, dst: 3, base: 2, off: 0 },
    { kind: 'alu', bits: 64, op: 'add', dst: 3, src: { imm: 1 } },
    { kind: 'store', size: 8, base: 2, off: 0, value: { reg: 3 } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { imm: 0 } },
    { kind: 'jump', bits: 64, cond: 'jlt', dst: 1, src: { imm: stopAt }, offset: 1 },
    { kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { imm: 1 } },
    { kind: 'exit' },
  ];
  const raw = i.flatMap((x) => encodeInstruction(x));
  const cb = 18; // slot of the callback (ld_imm64 takes two)
  raw[2].imm = cb - 3;
  return xdpProgramSpec('loop', raw);
}

describe.each(engines)('bpf_loop on $name', ({ name }) => {
  const result = (n: number, flags: number, stopAt: number): number => {
    const rt = new Runtime({ engine: name as 'interp', possibleCpus: 1 });
    const p = loopProgram(n, flags, stopAt);
    const prog = loadProgramSpec(rt, p);
    return rt.testRun(prog, { data: ipv4UdpFrame() }).retval;
  };

  it('runs the callback n times and returns n; a callback returning non-zero stops it at i + 1', () => {
    expect(result(10, 0, 100)).toBe(10 + 10 * 1000);
    expect(result(10, 0, 3)).toBe(4 + 4 * 1000);
    expect(result(0, 0, 0)).toBe(0);
  });

  it('refuses flags with -EINVAL and more than 1 << 23 loops with -E2BIG, zero-extended, calling nothing', () => {
    // -EINVAL sign-extended: high word all ones; -E2BIG zero-extended: high word 0.
    expect(result(5, 1, 100)).toBe(0xff0000 | (-22 & 0xffff));
    expect(result(-1, 0, 100)).toBe(-7 & 0xffff);
  });
});
