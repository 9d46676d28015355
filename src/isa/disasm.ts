import { decodeInstruction, InvalidInstruction, type Instruction, type JumpCond } from './instruction.js';
import { encodeRaw, type RawInstruction } from './raw.js';

/**
 * Disassembly in the syntax of `llvm-objdump -d` for BPF (LLVM 14, which Debian ships), so a
 * user can diff the two; v4 instructions LLVM 14 cannot decode (sdiv, smod, movsx, ldsx, bswap,
 * gotol, callx, st imm, jset, 32-bit atomics) use the syntax of later LLVM releases.
 */
export interface DisassembleOptions {
  /** Symbol names by slot (functions, local labels): printed as headers and in jump targets. */
  symbols?: ReadonlyMap<number, string>;
  /** Relocation text by slot, printed under the instruction as `llvm-objdump -dr` does. */
  relocations?: ReadonlyMap<number, string>;
  /** Byte offset of slot 0 within its section (for symbol+offset targets). Default 0. */
  baseSlot?: number;
}

const COND: Record<Exclude<JumpCond, 'ja'>, string> = {
  jeq: '==',
  jne: '!=',
  jgt: '>',
  jge: '>=',
  jlt: '<',
  jle: '<=',
  jset: '&',
  jsgt: 's>',
  jsge: 's>=',
  jslt: 's<',
  jsle: 's<=',
};
const ALU: Record<string, string> = {
  add: '+=',
  sub: '-=',
  mul: '*=',
  div: '/=',
  sdiv: 's/=',
  or: '|=',
  and: '&=',
  lsh: '<<=',
  rsh: '>>=',
  mod: '%=',
  smod: 's%=',
  xor: '^=',
  arsh: 's>>=',
};
const ATOMIC: Record<string, string> = { add: '+=', or: '|=', and: '&=', xor: '^=' };
const sizeName = (n: number): string => `u${n * 8}`;
const offset = (off: number): string => (off < 0 ? `- ${-off}` : `+ ${off}`);
const jumpOffset = (n: number): string => (n < 0 ? `${n}` : `+${n}`);

/** Text of one instruction; `target` is appended to jumps (e.g. `<LBB0_2>`). */
export function formatInstruction(insn: Instruction, target = ''): string {
  const t = target ? ` ${target}` : '';
  switch (insn.kind) {
    case 'alu': {
      const r = insn.bits === 64 ? 'r' : 'w';
      const src = 'reg' in insn.src ? `${r}${insn.src.reg}` : `${insn.src.imm}`;
      if (insn.op === 'neg') return `${r}${insn.dst} = -${r}${insn.dst}`;
      if (insn.op === 'mov') return `${r}${insn.dst} = ${src}`;
      if (insn.op === 'movsx') return `${r}${insn.dst} = (s${insn.extendBits})${r}${(insn.src as { reg: number }).reg}`;
      return `${r}${insn.dst} ${ALU[insn.op]} ${src}`;
    }
    case 'endian':
      return `r${insn.dst} = ${insn.order}${insn.bits} r${insn.dst}`;
    case 'jump': {
      if (insn.cond === 'ja') return `${insn.bits === 32 ? 'gotol' : 'goto'} ${jumpOffset(insn.offset)}${t}`;
      const r = insn.bits === 64 ? 'r' : 'w';
      const src = 'reg' in insn.src ? `${r}${insn.src.reg}` : `${insn.src.imm}`;
      return `if ${r}${insn.dst} ${COND[insn.cond]} ${src} goto ${jumpOffset(insn.offset)}${t}`;
    }
    case 'call':
      return `call ${insn.imm}`;
    case 'callx':
      return `callx r${insn.reg}`;
    case 'exit':
      return 'exit';
    case 'load':
      return `r${insn.dst} = *(${insn.signed ? 's' : 'u'}${insn.size * 8} *)(r${insn.base} ${offset(insn.off)})`;
    case 'store': {
      const value = 'reg' in insn.value ? `r${insn.value.reg}` : `${insn.value.imm}`;
      return `*(${sizeName(insn.size)} *)(r${insn.base} ${offset(insn.off)}) = ${value}`;
    }
    case 'atomic': {
      const r = insn.size === 8 ? 'r' : 'w';
      const addr = `r${insn.base} ${offset(insn.off)}`;
      const bits = insn.size * 8;
      if (insn.op === 'xchg') return `${r}${insn.src} = xchg${insn.size === 8 ? '' : '32'}_${bits}(${addr}, ${r}${insn.src})`;
      if (insn.op === 'cmpxchg') return `${r}0 = cmpxchg${insn.size === 8 ? '' : '32'}_${bits}(${addr}, ${r}0, ${r}${insn.src})`;
      if (insn.fetch) return `${r}${insn.src} = atomic_fetch_${insn.op}((${sizeName(insn.size)} *)(${addr}), ${r}${insn.src})`;
      return `lock *(${sizeName(insn.size)} *)(${addr}) ${ATOMIC[insn.op]} ${r}${insn.src}`;
    }
    case 'ld_imm64':
      return `r${insn.dst} = ${BigInt.asIntN(64, insn.imm)} ll`;
    case 'ld_packet':
      return `r0 = *(${sizeName(insn.size)} *)skb[${insn.mode === 'abs' ? insn.imm : `r${insn.src}`}]`;
  }
}

const hexBytes = (raw: readonly RawInstruction[]): string => [...encodeRaw(raw)].map((b) => b.toString(16).padStart(2, '0')).join(' ');

/**
 * Disassemble a program: one line per instruction (`ld_imm64` on one line with 16 bytes, as
 * LLVM prints it), symbol headers before labelled slots, relocations under instructions.
 * Slots that do not decode print `<unknown>` with the reason.
 */
export function disassemble(raw: readonly RawInstruction[], opts: DisassembleOptions = {}): string[] {
  const symbols = opts.symbols ?? new Map<number, string>();
  const base = opts.baseSlot ?? 0;
  const lines: string[] = [];
  const functionStarts = [...symbols.keys()].sort((a, b) => a - b);
  const targetName = (slot: number): string => {
    const exact = symbols.get(slot);
    if (exact) return `<${exact}>`;
    const before = functionStarts.filter((s) => s <= slot).pop();
    if (before === undefined) return '';
    return `<${symbols.get(before)}+0x${((slot - before) * 8).toString(16)}>`;
  };
  for (let i = 0; i < raw.length;) {
    const sym = symbols.get(i);
    if (sym !== undefined) {
      if (lines.length > 0) lines.push('');
      lines.push(`${((base + i) * 8).toString(16).padStart(16, '0')} <${sym}>:`);
    }
    let text: string;
    let n = 1;
    try {
      const d = decodeInstruction(raw, i);
      n = d.slots;
      const insn = d.insn;
      const target = insn.kind === 'jump' ? targetName(i + 1 + insn.offset) : '';
      text = formatInstruction(insn, target);
    } catch (e) {
      if (!(e instanceof InvalidInstruction)) throw e;
      text = `<unknown> (${e.reason})`;
    }
    lines.push(`${String(base + i).padStart(8)}:\t${hexBytes(raw.slice(i, i + n))}\t${text}`);
    const reloc = opts.relocations?.get(i);
    if (reloc) lines.push(`\t\t${String((base + i) * 8).padStart(16, '0')}:  ${reloc}`);
    i += n;
  }
  return lines;
}
