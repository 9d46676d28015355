import { XdpchainError } from '../errors/index.js';
import { decodeInstruction, InvalidInstruction, jumpTarget, type Instruction } from './instruction.js';
import { FRAME_POINTER, PseudoLd } from './opcodes.js';
import type { RawInstruction } from './raw.js';

/**
 * A decoded, structurally valid program. `slots[i]` is the instruction starting at slot i, or
 * null for the second half of a `ld_imm64`. Jump and call targets are proven to land on an
 * instruction start inside the program.
 */
export interface DecodedProgram {
  readonly raw: readonly RawInstruction[];
  readonly slots: readonly (Instruction | null)[];
  /** Slot indices where functions start: 0, every bpf-to-bpf call target and every BPF_PSEUDO_FUNC target. */
  readonly functionEntries: readonly number[];
}

export interface DecodeOptions {
  /** Name for error messages. */
  program?: string;
}

/** Decode and validate a whole program; throws XdpchainError(EINVAL) naming the instruction. */
export function decodeProgram(raw: readonly RawInstruction[], opts: DecodeOptions = {}): DecodedProgram {
  const where = opts.program ? `program ${opts.program}: ` : '';
  if (raw.length === 0) throw new XdpchainError('EINVAL', `${where}program has no instructions`, { program: opts.program });
  const slots: (Instruction | null)[] = new Array(raw.length).fill(null);
  const starts = new Uint8Array(raw.length);
  try {
    for (let i = 0; i < raw.length;) {
      const { insn, slots: n } = decodeInstruction(raw, i);
      slots[i] = insn;
      starts[i] = 1;
      i += n;
    }
  } catch (e) {
    if (e instanceof InvalidInstruction) {
      throw new XdpchainError('EINVAL', `${where}${e.message}`, { program: opts.program, insn: e.index });
    }
    throw e;
  }

  const entries = new Set<number>([0]);
  const checkTarget = (from: number, to: number, what: string): void => {
    if (to < 0 || to >= raw.length) {
      throw new XdpchainError('EINVAL', `${where}instruction ${from}: ${what} target ${to} is outside the program (0..${raw.length - 1})`, {
        program: opts.program,
        insn: from,
      });
    }
    if (!starts[to]) {
      throw new XdpchainError('EINVAL', `${where}instruction ${from}: ${what} target ${to} is the middle of a ld_imm64`, { program: opts.program, insn: from });
    }
  };
  slots.forEach((insn, i) => {
    if (!insn) return;
    if (
      insn.kind === 'alu' &&
      'reg' in insn.src &&
      insn.src.reg === FRAME_POINTER &&
      !(insn.bits === 64 && (insn.op === 'mov' || insn.op === 'add' || insn.op === 'sub'))
    ) {
      // The kernel verifier refuses every other arithmetic on a pointer (r10 always is one).
      throw new XdpchainError(
        'EACCES',
        `${where}instruction ${i}: ${insn.bits}-bit ${insn.op} with the frame pointer r10 as operand is prohibited pointer arithmetic`,
        { program: opts.program, insn: i },
      );
    }
    if (insn.kind === 'jump') checkTarget(i, jumpTarget(i, insn), 'jump');
    else if (insn.kind === 'call' && insn.target === 'local') {
      checkTarget(i, i + 1 + insn.imm, 'call');
      entries.add(i + 1 + insn.imm);
    } else if (insn.kind === 'ld_imm64' && insn.pseudo === PseudoLd.FUNC) {
      const to = i + 1 + Number(BigInt.asIntN(32, insn.imm));
      checkTarget(i, to, 'function pointer');
      entries.add(to);
    }
  });

  let lastStart = raw.length - 1;
  while (!starts[lastStart]) lastStart--;
  const last = slots[lastStart]!;
  if (!(last.kind === 'exit' || (last.kind === 'jump' && last.cond === 'ja'))) {
    throw new XdpchainError('EINVAL', `${where}last instruction (${lastStart}) is not an exit or unconditional jump; execution could fall off the end`, {
      program: opts.program,
      insn: lastStart,
    });
  }
  return { raw, slots, functionEntries: [...entries].sort((a, b) => a - b) };
}
