import { AluOp, AtomicOp, InsnClass, JmpOp, LD_IMM64, Mode, PseudoCall, PseudoLd, Size, Source, sizeBytes } from './opcodes.js';
import { imm64Of, splitImm64, type RawInstruction } from './raw.js';

/** A register operand or a 32-bit signed immediate. */
export type Operand = { reg: number } | { imm: number };

export type AluOpName = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'or' | 'and' | 'lsh' | 'rsh' | 'neg' | 'mod' | 'smod' | 'xor' | 'mov' | 'movsx' | 'arsh';

export type JumpCond = 'ja' | 'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'jlt' | 'jle' | 'jslt' | 'jsle';

export type AtomicOpName = 'add' | 'or' | 'and' | 'xor' | 'xchg' | 'cmpxchg';
export type AccessSize = 1 | 2 | 4 | 8;

/** Typed view of one instruction. `ld_imm64` covers two slots; every other kind covers one. */
export type Instruction =
  | { kind: 'alu'; bits: 32 | 64; op: AluOpName; dst: number; src: Operand; /** movsx source width */ extendBits?: 8 | 16 | 32 }
  | { kind: 'endian'; order: 'le' | 'be' | 'bswap'; bits: 16 | 32 | 64; dst: number }
  | { kind: 'jump'; bits: 32 | 64; cond: JumpCond; dst: number; src: Operand; /** slots to skip, relative to the next slot */ offset: number }
  | { kind: 'call'; target: 'helper' | 'local' | 'kfunc'; /** helper id, pc-relative slot offset, or BTF id */ imm: number }
  | { kind: 'callx'; reg: number; /** true for the old LLVM encoding (register in imm) */ legacyImm: boolean }
  | { kind: 'exit' }
  | { kind: 'load'; size: AccessSize; signed: boolean; dst: number; base: number; off: number }
  | { kind: 'store'; size: AccessSize; base: number; off: number; value: Operand }
  | { kind: 'atomic'; size: 4 | 8; op: AtomicOpName; fetch: boolean; base: number; off: number; src: number }
  | { kind: 'ld_imm64'; dst: number; pseudo: number; /** raw 64-bit immediate (both halves) */ imm: bigint }
  | { kind: 'ld_packet'; mode: 'abs' | 'ind'; size: 1 | 2 | 4; src: number; imm: number };

/** Why a slot does not decode; `field` names the offending field for clear messages. */
export class InvalidInstruction extends Error {
  constructor(
    readonly index: number,
    readonly raw: RawInstruction,
    readonly reason: string,
  ) {
    super(`instruction ${index} (${hexOpcode(raw.opcode)}): ${reason}`);
    this.name = 'InvalidInstruction';
  }
}

const hexOpcode = (op: number): string => `0x${op.toString(16).padStart(2, '0')}`;

const ALU_NAMES: Record<number, AluOpName> = {
  [AluOp.ADD]: 'add',
  [AluOp.SUB]: 'sub',
  [AluOp.MUL]: 'mul',
  [AluOp.DIV]: 'div',
  [AluOp.OR]: 'or',
  [AluOp.AND]: 'and',
  [AluOp.LSH]: 'lsh',
  [AluOp.RSH]: 'rsh',
  [AluOp.NEG]: 'neg',
  [AluOp.MOD]: 'mod',
  [AluOp.XOR]: 'xor',
  [AluOp.MOV]: 'mov',
  [AluOp.ARSH]: 'arsh',
};
const ALU_CODES: Record<AluOpName, number> = {
  add: AluOp.ADD,
  sub: AluOp.SUB,
  mul: AluOp.MUL,
  div: AluOp.DIV,
  sdiv: AluOp.DIV,
  or: AluOp.OR,
  and: AluOp.AND,
  lsh: AluOp.LSH,
  rsh: AluOp.RSH,
  neg: AluOp.NEG,
  mod: AluOp.MOD,
  smod: AluOp.MOD,
  xor: AluOp.XOR,
  mov: AluOp.MOV,
  movsx: AluOp.MOV,
  arsh: AluOp.ARSH,
};
const JMP_NAMES: Record<number, JumpCond> = {
  [JmpOp.JA]: 'ja',
  [JmpOp.JEQ]: 'jeq',
  [JmpOp.JGT]: 'jgt',
  [JmpOp.JGE]: 'jge',
  [JmpOp.JSET]: 'jset',
  [JmpOp.JNE]: 'jne',
  [JmpOp.JSGT]: 'jsgt',
  [JmpOp.JSGE]: 'jsge',
  [JmpOp.JLT]: 'jlt',
  [JmpOp.JLE]: 'jle',
  [JmpOp.JSLT]: 'jslt',
  [JmpOp.JSLE]: 'jsle',
};
const JMP_CODES = Object.fromEntries(Object.entries(JMP_NAMES).map(([k, v]) => [v, Number(k)])) as Record<JumpCond, number>;
const ATOMIC_NAMES: Record<number, [AtomicOpName, boolean]> = {
  [AtomicOp.ADD]: ['add', false],
  [AtomicOp.ADD | AtomicOp.FETCH]: ['add', true],
  [AtomicOp.OR]: ['or', false],
  [AtomicOp.OR | AtomicOp.FETCH]: ['or', true],
  [AtomicOp.AND]: ['and', false],
  [AtomicOp.AND | AtomicOp.FETCH]: ['and', true],
  [AtomicOp.XOR]: ['xor', false],
  [AtomicOp.XOR | AtomicOp.FETCH]: ['xor', true],
  [AtomicOp.XCHG]: ['xchg', true],
  [AtomicOp.CMPXCHG]: ['cmpxchg', true],
};

const isReg = (r: number): boolean => r >= 0 && r <= 10;

/**
 * Decode the slot at `index` with the kernel's reserved-field rules (unused fields must be zero).
 * Returns the instruction and how many slots it covers.
 */
export function decodeInstruction(raw: readonly RawInstruction[], index: number): { insn: Instruction; slots: 1 | 2 } {
  const r = raw[index];
  const fail = (reason: string): never => {
    throw new InvalidInstruction(index, r, reason);
  };
  const reserved = (fields: Partial<Record<'dst' | 'src' | 'off' | 'imm', true>>, what: string): void => {
    for (const f of Object.keys(fields) as ('dst' | 'src' | 'off' | 'imm')[]) {
      if (r[f] !== 0) fail(`${what} uses reserved field ${f}=${r[f]}`);
    }
  };
  if (!isReg(r.dst)) fail(`invalid destination register r${r.dst}`);
  if (!isReg(r.src)) fail(`invalid source register r${r.src}`);
  const cls = r.opcode & 0x07;

  switch (cls) {
    case InsnClass.ALU:
    case InsnClass.ALU64: {
      const bits = cls === InsnClass.ALU64 ? 64 : 32;
      const code = r.opcode & 0xf0;
      const x = (r.opcode & Source.X) !== 0;
      if (code === AluOp.END) {
        reserved({ src: true, off: true }, 'byte swap');
        if (r.imm !== 16 && r.imm !== 32 && r.imm !== 64) fail(`byte swap width ${r.imm} is not 16, 32 or 64`);
        if (bits === 64 && x) fail('alu64 byte swap with BPF_X is not defined');
        const order = bits === 64 ? 'bswap' : x ? 'be' : 'le';
        return { insn: { kind: 'endian', order, bits: r.imm as 16 | 32 | 64, dst: r.dst }, slots: 1 };
      }
      let op = ALU_NAMES[code];
      if (op === undefined) fail(`unknown ALU operation 0x${code.toString(16)}`);
      if (r.dst === 10) fail('frame pointer r10 is read-only');
      let extendBits: 8 | 16 | 32 | undefined;
      if (op === 'neg') {
        if (x) fail('neg with BPF_X is not defined');
        reserved({ src: true, off: true, imm: true }, 'neg');
        return { insn: { kind: 'alu', bits, op, dst: r.dst, src: { imm: 0 } }, slots: 1 };
      }
      if (op === 'div' || op === 'mod') {
        if (r.off === 1) op = op === 'div' ? 'sdiv' : 'smod';
        else if (r.off !== 0) fail(`${op} offset must be 0 (unsigned) or 1 (signed), not ${r.off}`);
      } else if (op === 'mov' && x && r.off !== 0) {
        const allowed = bits === 64 ? [8, 16, 32] : [8, 16];
        if (!allowed.includes(r.off)) fail(`movsx width ${r.off} is not one of ${allowed.join(', ')}`);
        op = 'movsx';
        extendBits = r.off as 8 | 16 | 32;
      } else if (r.off !== 0) {
        fail(`${op} uses reserved field off=${r.off}`);
      }
      if (x) reserved({ imm: true }, `${op} with register source`);
      else reserved({ src: true }, `${op} with immediate`);
      const insn: Instruction = { kind: 'alu', bits, op, dst: r.dst, src: x ? { reg: r.src } : { imm: r.imm } };
      if (extendBits) insn.extendBits = extendBits;
      return { insn, slots: 1 };
    }

    case InsnClass.JMP:
    case InsnClass.JMP32: {
      const bits = cls === InsnClass.JMP ? 64 : 32;
      const code = r.opcode & 0xf0;
      const x = (r.opcode & Source.X) !== 0;
      if (code === JmpOp.CALL) {
        if (bits === 32) fail('call is not defined in the JMP32 class');
        if (x) {
          reserved({ src: true, off: true }, 'callx');
          if (r.dst !== 0 && r.imm !== 0) fail('callx names a register in both dst and imm');
          const legacyImm = r.dst === 0 && r.imm !== 0;
          const reg = legacyImm ? r.imm : r.dst;
          if (!isReg(reg)) fail(`callx through invalid register r${reg}`);
          return { insn: { kind: 'callx', reg, legacyImm }, slots: 1 };
        }
        reserved({ dst: true, off: true }, 'call');
        const target =
          r.src === PseudoCall.HELPER
            ? 'helper'
            : r.src === PseudoCall.LOCAL
              ? 'local'
              : r.src === PseudoCall.KFUNC
                ? 'kfunc'
                : fail(`call with unknown src=${r.src}`);
        return { insn: { kind: 'call', target, imm: r.imm }, slots: 1 };
      }
      if (code === JmpOp.EXIT) {
        if (bits === 32 || x) fail('exit is only defined as 0x95');
        reserved({ dst: true, src: true, off: true, imm: true }, 'exit');
        return { insn: { kind: 'exit' }, slots: 1 };
      }
      const cond = JMP_NAMES[code] ?? fail(`unknown jump operation 0x${code.toString(16)}`);
      if (cond === 'ja') {
        if (x) fail('ja with BPF_X is not defined');
        reserved({ dst: true, src: true }, 'ja');
        if (bits === 64) {
          reserved({ imm: true }, 'ja');
          return { insn: { kind: 'jump', bits, cond, dst: 0, src: { imm: 0 }, offset: r.off }, slots: 1 };
        }
        reserved({ off: true }, 'ja32');
        return { insn: { kind: 'jump', bits, cond, dst: 0, src: { imm: 0 }, offset: r.imm }, slots: 1 };
      }
      if (x) reserved({ imm: true }, `${cond} with register source`);
      else reserved({ src: true }, `${cond} with immediate`);
      return { insn: { kind: 'jump', bits, cond, dst: r.dst, src: x ? { reg: r.src } : { imm: r.imm }, offset: r.off }, slots: 1 };
    }

    case InsnClass.LDX: {
      const mode = r.opcode & 0xe0;
      const size = sizeBytes(r.opcode & 0x18);
      if (mode !== Mode.MEM && mode !== Mode.MEMSX) fail(`ldx mode 0x${mode.toString(16)} is not defined`);
      if (mode === Mode.MEMSX && size === 8) fail('sign-extending load of 8 bytes is not defined');
      if (r.dst === 10) fail('frame pointer r10 is read-only');
      reserved({ imm: true }, 'ldx');
      return { insn: { kind: 'load', size, signed: mode === Mode.MEMSX, dst: r.dst, base: r.src, off: r.off }, slots: 1 };
    }

    case InsnClass.ST: {
      const mode = r.opcode & 0xe0;
      if (mode !== Mode.MEM) fail(`st mode 0x${mode.toString(16)} is not defined`);
      reserved({ src: true }, 'st');
      return { insn: { kind: 'store', size: sizeBytes(r.opcode & 0x18), base: r.dst, off: r.off, value: { imm: r.imm } }, slots: 1 };
    }

    case InsnClass.STX: {
      const mode = r.opcode & 0xe0;
      const size = sizeBytes(r.opcode & 0x18);
      if (mode === Mode.MEM) {
        reserved({ imm: true }, 'stx');
        return { insn: { kind: 'store', size, base: r.dst, off: r.off, value: { reg: r.src } }, slots: 1 };
      }
      if (mode === Mode.ATOMIC) {
        if (size !== 4 && size !== 8) fail(`atomic operation on ${size} bytes is not defined`);
        const named = ATOMIC_NAMES[r.imm] ?? fail(`unknown atomic operation imm=0x${(r.imm >>> 0).toString(16)}`);
        // A fetch returns the old value in src (cmpxchg in r0), which r10 cannot take.
        if (named[1] && named[0] !== 'cmpxchg' && r.src === 10) fail('frame pointer r10 is read-only');
        return { insn: { kind: 'atomic', size: size as 4 | 8, op: named[0], fetch: named[1], base: r.dst, off: r.off, src: r.src }, slots: 1 };
      }
      return fail(`stx mode 0x${mode.toString(16)} is not defined`);
    }

    case InsnClass.LD: {
      const mode = r.opcode & 0xe0;
      const size = sizeBytes(r.opcode & 0x18);
      if (r.opcode === LD_IMM64) {
        if (index + 1 >= raw.length) fail('ld_imm64 is missing its second slot');
        const next = raw[index + 1];
        if (next.opcode !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
          throw new InvalidInstruction(index + 1, next, 'second slot of ld_imm64 must have opcode, registers and offset zero');
        }
        reserved({ off: true }, 'ld_imm64');
        if (r.dst === 10) fail('frame pointer r10 is read-only');
        if (r.src > PseudoLd.MAP_IDX_VALUE) fail(`ld_imm64 with unknown pseudo source ${r.src}`);
        return { insn: { kind: 'ld_imm64', dst: r.dst, pseudo: r.src, imm: imm64Of(r, next) }, slots: 2 };
      }
      if ((mode === Mode.ABS || mode === Mode.IND) && size !== 8) {
        reserved({ dst: true, off: true }, mode === Mode.ABS ? 'ld_abs' : 'ld_ind');
        if (mode === Mode.ABS) reserved({ src: true }, 'ld_abs');
        return { insn: { kind: 'ld_packet', mode: mode === Mode.ABS ? 'abs' : 'ind', size, src: r.src, imm: r.imm }, slots: 1 };
      }
      return fail(`ld opcode is not defined`);
    }
  }
  return fail('unknown instruction class');
}

/** Encode a typed instruction back into one or two raw slots. */
export function encodeInstruction(insn: Instruction): RawInstruction[] {
  const one = (opcode: number, dst: number, src: number, off: number, imm: number): RawInstruction[] => [{ opcode, dst, src, off, imm: imm | 0 }];
  switch (insn.kind) {
    case 'alu': {
      const cls = insn.bits === 64 ? InsnClass.ALU64 : InsnClass.ALU;
      const code = ALU_CODES[insn.op];
      const x = 'reg' in insn.src;
      const off = insn.op === 'sdiv' || insn.op === 'smod' ? 1 : insn.op === 'movsx' ? (insn.extendBits ?? 0) : 0;
      if (insn.op === 'neg') return one(cls | code, insn.dst, 0, 0, 0);
      return one(cls | code | (x ? Source.X : Source.K), insn.dst, x ? (insn.src as { reg: number }).reg : 0, off, x ? 0 : (insn.src as { imm: number }).imm);
    }
    case 'endian': {
      const cls = insn.order === 'bswap' ? InsnClass.ALU64 : InsnClass.ALU;
      const src = insn.order === 'be' ? Source.X : Source.K;
      return one(cls | AluOp.END | src, insn.dst, 0, 0, insn.bits);
    }
    case 'jump': {
      const cls = insn.bits === 64 ? InsnClass.JMP : InsnClass.JMP32;
      if (insn.cond === 'ja') return insn.bits === 64 ? one(cls | JmpOp.JA, 0, 0, insn.offset, 0) : one(cls | JmpOp.JA, 0, 0, 0, insn.offset);
      const x = 'reg' in insn.src;
      return one(
        cls | JMP_CODES[insn.cond] | (x ? Source.X : Source.K),
        insn.dst,
        x ? (insn.src as { reg: number }).reg : 0,
        insn.offset,
        x ? 0 : (insn.src as { imm: number }).imm,
      );
    }
    case 'call': {
      const src = insn.target === 'helper' ? PseudoCall.HELPER : insn.target === 'local' ? PseudoCall.LOCAL : PseudoCall.KFUNC;
      return one(InsnClass.JMP | JmpOp.CALL, 0, src, 0, insn.imm);
    }
    case 'callx':
      return insn.legacyImm ? one(InsnClass.JMP | JmpOp.CALL | Source.X, 0, 0, 0, insn.reg) : one(InsnClass.JMP | JmpOp.CALL | Source.X, insn.reg, 0, 0, 0);
    case 'exit':
      return one(InsnClass.JMP | JmpOp.EXIT, 0, 0, 0, 0);
    case 'load':
      return one(InsnClass.LDX | (insn.signed ? Mode.MEMSX : Mode.MEM) | sizeCode(insn.size), insn.dst, insn.base, insn.off, 0);
    case 'store':
      return 'reg' in insn.value
        ? one(InsnClass.STX | Mode.MEM | sizeCode(insn.size), insn.base, insn.value.reg, insn.off, 0)
        : one(InsnClass.ST | Mode.MEM | sizeCode(insn.size), insn.base, 0, insn.off, insn.value.imm);
    case 'atomic': {
      const imm =
        insn.op === 'xchg'
          ? AtomicOp.XCHG
          : insn.op === 'cmpxchg'
            ? AtomicOp.CMPXCHG
            : { add: AtomicOp.ADD, or: AtomicOp.OR, and: AtomicOp.AND, xor: AtomicOp.XOR }[insn.op] | (insn.fetch ? AtomicOp.FETCH : 0);
      return one(InsnClass.STX | Mode.ATOMIC | sizeCode(insn.size), insn.base, insn.src, insn.off, imm);
    }
    case 'ld_imm64': {
      const { lo, hi } = splitImm64(insn.imm);
      return [
        { opcode: LD_IMM64, dst: insn.dst, src: insn.pseudo, off: 0, imm: lo },
        { opcode: 0, dst: 0, src: 0, off: 0, imm: hi },
      ];
    }
    case 'ld_packet':
      return one(InsnClass.LD | (insn.mode === 'abs' ? Mode.ABS : Mode.IND) | sizeCode(insn.size), 0, insn.mode === 'abs' ? 0 : insn.src, 0, insn.imm);
  }
}

function sizeCode(size: AccessSize): number {
  return size === 1 ? Size.B : size === 2 ? Size.H : size === 4 ? Size.W : Size.DW;
}

/** Slot index a jump lands on (`offset` counts from the slot after the jump). */
export const jumpTarget = (index: number, insn: Extract<Instruction, { kind: 'jump' }>): number => index + 1 + insn.offset;
