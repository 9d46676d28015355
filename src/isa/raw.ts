import { MalformedInputError } from '../errors/index.js';
import { INSN_SIZE } from './opcodes.js';

/**
 * One 8-byte instruction slot exactly as encoded (little-endian, as `clang -target bpf` emits on
 * x86/arm64). A `ld_imm64` occupies two slots; the second has opcode 0 and carries the upper imm.
 */
export interface RawInstruction {
  opcode: number; // u8
  dst: number; // u4
  src: number; // u4
  off: number; // s16
  imm: number; // s32
}

export function decodeRaw(bytes: Uint8Array, structure = 'instructions'): RawInstruction[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new MalformedInputError(structure, `length ${bytes.length} is not a multiple of ${INSN_SIZE}`, bytes.length - (bytes.length % INSN_SIZE));
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: RawInstruction[] = new Array(bytes.length / INSN_SIZE);
  for (let i = 0; i < out.length; i++) {
    const o = i * INSN_SIZE;
    const regs = bytes[o + 1];
    out[i] = { opcode: bytes[o], dst: regs & 0x0f, src: regs >> 4, off: dv.getInt16(o + 2, true), imm: dv.getInt32(o + 4, true) };
  }
  return out;
}

export function encodeRaw(insns: readonly RawInstruction[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * INSN_SIZE);
  const dv = new DataView(bytes.buffer);
  insns.forEach((insn, i) => {
    const o = i * INSN_SIZE;
    bytes[o] = insn.opcode & 0xff;
    bytes[o + 1] = (insn.dst & 0x0f) | ((insn.src & 0x0f) << 4);
    dv.setInt16(o + 2, insn.off, true);
    dv.setInt32(o + 4, insn.imm | 0, true);
  });
  return bytes;
}

/** The 64-bit immediate of a `ld_imm64` pair, as an unsigned bigint. */
export function imm64Of(first: RawInstruction, second: RawInstruction): bigint {
  return (BigInt(second.imm >>> 0) << 32n) | BigInt(first.imm >>> 0);
}

export function splitImm64(value: bigint): { lo: number; hi: number } {
  const v = BigInt.asUintN(64, value);
  return { lo: Number(v & 0xffffffffn) | 0, hi: Number(v >> 32n) | 0 };
}
