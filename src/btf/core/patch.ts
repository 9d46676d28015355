import { classOf, InsnClass, LD_IMM64, Size, Source, sizeBytes } from '../../isa/opcodes.js';
import type { RawInstruction } from '../../isa/raw.js';
import type { CoreValue } from './calc.js';
import { CoreProblem } from './types.js';

/**
 * The helper id a poisoned instruction calls, as libbpf writes it (0xbad2310, "bad relo"): no
 * such helper exists, so the kernel's verifier refuses it where it is reachable and the runtime
 * faults when it runs.
 */
export const POISON_HELPER_ID = 0xbad2310;

const SIZE_OF_BYTES: Record<number, number> = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW };
const SHRT_MAX = 0x7fff;

const u64 = (n: number | bigint): bigint => BigInt.asUintN(64, BigInt(n));

/** Replace slot `i` with the poisoned call (and its ld_imm64 second half too, which would not decode alone). */
export function poisonInstruction(insns: RawInstruction[], i: number): void {
  const call: RawInstruction = { opcode: InsnClass.JMP | 0x80, dst: 0, src: 0, off: 0, imm: POISON_HELPER_ID };
  if (insns[i].opcode === LD_IMM64 && i + 1 < insns.length) insns[i + 1] = { ...call };
  insns[i] = call;
}

/**
 * Patch the instruction at `i` with a computed relocation (libbpf's bpf_core_patch_insn): the
 * immediate of an ALU instruction with an immediate operand, the offset of a load or store (and
 * its width when the field's size changed), or the 64-bit immediate of a ld_imm64. Returns
 * 'poisoned' when the instruction was poisoned instead, with the reason.
 */
export function patchInstruction(insns: RawInstruction[], i: number, v: CoreValue): { poisoned: boolean; reason?: string } {
  const insn = insns[i];
  if (v.poison) {
    poisonInstruction(insns, i);
    return { poisoned: true, reason: 'nothing in the target matches it' };
  }
  const cls = classOf(insn.opcode);
  switch (cls) {
    case InsnClass.ALU:
    case InsnClass.ALU64: {
      if ((insn.opcode & Source.X) !== 0) throw new CoreProblem('the instruction is an ALU operation on a register, not an immediate');
      if (v.validate && u64(insn.imm) !== v.original)
        throw new CoreProblem(`the instruction's immediate is ${insn.imm}, but the program's own BTF gives ${v.original}`);
      insns[i] = { ...insn, imm: Number(BigInt.asIntN(32, v.value)) };
      return { poisoned: false };
    }
    case InsnClass.LDX:
    case InsnClass.ST:
    case InsnClass.STX: {
      if (v.validate && u64(insn.off) !== v.original)
        throw new CoreProblem(`the instruction's offset is ${insn.off}, but the program's own BTF gives ${v.original}`);
      if (v.value > BigInt(SHRT_MAX)) throw new CoreProblem(`the new offset ${v.value} does not fit an instruction's 16-bit offset`, 'ERANGE');
      if (v.badSizeChange) {
        poisonInstruction(insns, i);
        return {
          poisoned: true,
          reason: `the field's size changes (${v.originalSize} → ${v.newSize} bytes) and it is neither a pointer nor an unsigned integer, so the access cannot be resized`,
        };
      }
      let opcode = insn.opcode;
      if (v.newSize !== v.originalSize) {
        const bytes = sizeBytes(insn.opcode & 0x18);
        if (bytes !== v.originalSize) throw new CoreProblem(`the instruction accesses ${bytes} bytes, but the field is ${v.originalSize} bytes`);
        const size = SIZE_OF_BYTES[v.newSize];
        if (size === undefined) throw new CoreProblem(`the field's new size, ${v.newSize} bytes, is not a load/store width`);
        opcode = (insn.opcode & 0xe0) | size | cls;
      }
      insns[i] = { ...insn, opcode, off: Number(v.value) };
      return { poisoned: false };
    }
    case InsnClass.LD: {
      const next = insns[i + 1];
      if (insn.opcode !== LD_IMM64 || !next || insn.src !== 0 || insn.off !== 0 || next.opcode !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
        throw new CoreProblem('the instruction is a ld_imm64 of an unexpected form (a pseudo source, or a malformed second half)');
      }
      const imm = (u64(next.imm >>> 0) << 32n) | u64(insn.imm >>> 0);
      if (v.validate && imm !== v.original) throw new CoreProblem(`the instruction's immediate is ${imm}, but the program's own BTF gives ${v.original}`);
      insns[i] = { ...insn, imm: Number(BigInt.asIntN(32, v.value)) };
      insns[i + 1] = { ...next, imm: Number(BigInt.asIntN(32, v.value >> 32n)) };
      return { poisoned: false };
    }
    default:
      throw new CoreProblem(`opcode 0x${insn.opcode.toString(16)} is not an instruction CO-RE can patch (ALU with an immediate, load, store or ld_imm64)`);
  }
}
