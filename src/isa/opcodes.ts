/** eBPF opcode fields (RFC 9669 §3, §4). */

export const InsnClass = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;
export type InsnClass = (typeof InsnClass)[keyof typeof InsnClass];

export const classOf = (opcode: number): InsnClass => (opcode & 0x07) as InsnClass;

/** Source bit for ALU/JMP: K = immediate, X = register. For END (byte swap) it selects LE(0)/BE(1). */
export const Source = { K: 0x00, X: 0x08 } as const;

export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;
export type AluOp = (typeof AluOp)[keyof typeof AluOp];

export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
} as const;
export type JmpOp = (typeof JmpOp)[keyof typeof JmpOp];

export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export type Size = (typeof Size)[keyof typeof Size];
export const sizeBytes = (size: number): 1 | 2 | 4 | 8 => (size === Size.B ? 1 : size === Size.H ? 2 : size === Size.W ? 4 : 8);

export const Mode = {
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  MEMSX: 0x80,
  ATOMIC: 0xc0,
} as const;
export type Mode = (typeof Mode)[keyof typeof Mode];

/** Atomic operations live in `imm`; FETCH may be or-ed into ADD/OR/AND/XOR. */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  FETCH: 0x01,
  XCHG: 0xe0 | 0x01,
  CMPXCHG: 0xf0 | 0x01,
} as const;

/** `src_reg` of a `ld_imm64` (RFC 9669 §5.4 and the kernel's pseudo kinds). */
export const PseudoLd = {
  IMM: 0,
  MAP_FD: 1,
  MAP_VALUE: 2,
  BTF_ID: 3,
  FUNC: 4,
  MAP_IDX: 5,
  MAP_IDX_VALUE: 6,
} as const;

/** `src_reg` of a `call`: helper by id, local function (pc-relative), kfunc by BTF id. */
export const PseudoCall = { HELPER: 0, LOCAL: 1, KFUNC: 2 } as const;

export const REG_COUNT = 11;
export const FRAME_POINTER = 10;
export const INSN_SIZE = 8;
export const STACK_SIZE = 512;
export const MAX_CALL_DEPTH = 8;
export const MAX_TAIL_CALLS = 33;

/** Full opcode for `ld_imm64` (class LD, size DW, mode IMM). */
export const LD_IMM64 = InsnClass.LD | Size.DW | Mode.IMM;

/** The fields of an opcode byte: operation (ALU/JMP), source bit, size and mode (loads and stores). */
export const OP_MASK = 0xf0;
export const SIZE_MASK = 0x18;
export const MODE_MASK = 0xe0;

/** Full opcodes the engines single out: exit, calls (helper, local, kfunc; by register) and the unconditional jumps. */
export const EXIT = InsnClass.JMP | JmpOp.EXIT;
export const CALL = InsnClass.JMP | JmpOp.CALL;
export const CALLX = InsnClass.JMP | JmpOp.CALL | Source.X;
export const JA = InsnClass.JMP | JmpOp.JA;
/** `gotol`: JA in class JMP32, with a 32-bit offset in imm. */
export const JA32 = InsnClass.JMP32 | JmpOp.JA;

/** A legacy packet load (BPF_LD with mode ABS or IND: every class-LD opcode but ld_imm64). */
export const isLegacyLoad = (op: number): boolean => classOf(op) === InsnClass.LD && op !== LD_IMM64;

/** An atomic STX whose operation fetches the old value (into src, or r0 for cmpxchg). */
export const isAtomicFetch = (op: number, imm: number): boolean =>
  classOf(op) === InsnClass.STX && (op & MODE_MASK) === Mode.ATOMIC && (imm & AtomicOp.FETCH) !== 0;
