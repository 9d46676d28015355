import { describe, expect, it } from 'vitest';
import { assemble, assembleInstructions } from '../../src/isa/asm.js';
import { encodeInstruction } from '../../src/isa/instruction.js';
import { decodeProgram } from '../../src/isa/program.js';

const refuse = (text: string) => expect(() => assemble(text));

describe('assembler (conformance dialect)', () => {
  it('encodes every instruction family', () => {
    const text = `
      mov %r0, 1          # 64-bit by default
      mov32 %r1, 0xffffffff
      add32 %r1, %r0
      sdiv %r0, -3
      smod32 %r1, %r2
      movsx864 %r2, %r1
      neg32 %r3
      le16 %r4
      be64 %r4
      bswap32 %r5
      swap16 %r5
      ldxsb %r0, [%r10-1]
      ldxdw %r0, [%r1+0x10]
      stw [%r10-8], 0x11
      stxdw [%r10-16], %r1
      lock fetch add32 [%r10-4], %r1
      lock cmpxchg [%r10-8], %r2
      lddw %r6, 0x1122334455667788
      call 5
      call %r2
    next:
      jslt32 %r1, -1, next
      ja32 +0
      exit`;
    const raw = assemble(text);
    const prog = decodeProgram(raw);
    const kinds = prog.slots.filter(Boolean).map((i) => i!.kind);
    expect(kinds).toEqual([
      'alu',
      'alu',
      'alu',
      'alu',
      'alu',
      'alu',
      'alu',
      'endian',
      'endian',
      'endian',
      'endian',
      'load',
      'load',
      'store',
      'store',
      'atomic',
      'atomic',
      'ld_imm64',
      'call',
      'callx',
      'jump',
      'jump',
      'exit',
    ]);
    expect(raw[1].imm).toBe(-1);
    expect(raw[12].off).toBe(16);
    expect(prog.slots[21]).toMatchObject({ kind: 'jump', cond: 'jslt', bits: 32, offset: -1 });
  });

  it('round-trips through encode/decode unchanged', () => {
    const insns = assembleInstructions('mov %r0, 7\nlock fetch xor [%r10-8], %r3\njne %r0, 0, +1\nexit\nexit');
    expect(decodeProgram(insns.flatMap((i) => encodeInstruction(i))).slots.filter(Boolean)).toEqual(insns);
  });

  it('refuses an atomic fetch into the frame pointer, as the verifier does (cmpxchg returns in r0)', () => {
    const decode = (text: string) => () => decodeProgram(assembleInstructions(text).flatMap((i) => encodeInstruction(i)));
    expect(decode('lock fetch add [%r1+0], %r10\nexit')).toThrow(/frame pointer r10 is read-only/);
    expect(decode('lock xchg32 [%r1+0], %r10\nexit')).toThrow(/frame pointer r10 is read-only/);
    expect(decode('lock cmpxchg [%r1+0], %r10\nexit')).not.toThrow();
    expect(decode('lock add [%r1+0], %r10\nexit')).not.toThrow();
  });

  it('resolves `exit` as a target to the next exit instruction', () => {
    const raw = assemble('jeq %r1, 0, exit\nmov %r0, 1\nexit\nmov %r0, 2\nexit');
    expect(raw[0].off).toBe(1);
  });

  it('names the line and the problem in every error', () => {
    refuse('mov %r0, 1\nor %r0, %r50').toThrow(/line 2: Invalid register %r50/);
    refuse('ldxq %r0, %r1').toThrow(/Invalid mnemonic "ldxq"/);
    refuse('lock or [%r10-8]').toThrow(/Invalid number of operands for lock/);
    refuse('lddw %r0').toThrow(/Invalid number of operands for lddw/);
    refuse('mov32 %r0, 2147483648').toThrow(/does not fit in 32 bits/);
    refuse('mov32 %r0, 0x100000000').toThrow(/does not fit in 32 bits/);
    refuse('ldxb %r0, [%r1+0x10000]').toThrow(/offset 65536 does not fit in 16 bits/);
    refuse('ja NOT_A_LABEL').toThrow(/unknown label "NOT_A_LABEL"/);
    refuse('a:\na:\nexit').toThrow(/defined twice/);
  });

  it('accepts the full signed and hex ranges of immediates', () => {
    expect(assemble('mov32 %r0, -2147483648\nexit')[0].imm).toBe(-2147483648);
    expect(assemble('mov32 %r0, 0x80000000\nexit')[0].imm).toBe(-2147483648);
  });
});
