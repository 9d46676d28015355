import { CALL, CALLX, classOf, EXIT, InsnClass, JA, JA32, LD_IMM64 } from '../../isa/opcodes.js';
import type { Code } from '../interp/code.js';

/** A straight run of instructions entered only at its first slot. */
export interface BasicBlock {
  start: number;
  /** Slots of the instructions in the block (a ld_imm64 counts once). */
  slots: number[];
}

export const isJump = (op: number): boolean => {
  const cls = op & 7;
  return (cls === InsnClass.JMP || cls === InsnClass.JMP32) && op !== CALL && op !== CALLX && op !== EXIT;
};

/** Where a jump at `pc` goes when taken (`ja` of the JMP32 class uses imm). */
export const jumpTargetOf = (code: Code, pc: number): number => pc + 1 + (code.op[pc] === JA32 ? code.imm[pc] : code.off[pc]);

export const nextSlot = (code: Code, pc: number): number => pc + (code.op[pc] === LD_IMM64 ? 2 : 1);

/**
 * An instruction after which the program may not continue (a tail call that jumps away, a
 * legacy packet load past the end): it ends its block, so the block's budget charge never
 * covers instructions that do not run.
 */
const endsEarly = (code: Code, pc: number): boolean =>
  (code.op[pc] === CALL && code.helpers[pc]?.tailCall !== undefined) || (classOf(code.op[pc]) === InsnClass.LD && code.op[pc] !== LD_IMM64);

/**
 * The basic blocks of the function entered at `entry`: everything reachable from it through
 * jumps and fall-through (calls return, so they do not end a block). Code that two functions
 * share (only possible in unverified programs) is simply compiled into both.
 */
export function functionBlocks(code: Code, entry: number): Map<number, BasicBlock> {
  const leaders = new Set<number>([entry]);
  const seen = new Set<number>();
  const work = [entry];
  while (work.length > 0) {
    let pc = work.pop()!;
    while (!seen.has(pc)) {
      seen.add(pc);
      const op = code.op[pc];
      if (op === EXIT) break;
      if (endsEarly(code, pc)) leaders.add(nextSlot(code, pc));
      if (isJump(op)) {
        const to = jumpTargetOf(code, pc);
        leaders.add(to);
        work.push(to);
        const unconditional = op === JA || op === JA32;
        if (unconditional) break;
        leaders.add(pc + 1);
      }
      pc = nextSlot(code, pc);
    }
  }
  const blocks = new Map<number, BasicBlock>();
  for (const start of [...leaders].sort((a, b) => a - b)) {
    const slots: number[] = [];
    let pc = start;
    for (;;) {
      slots.push(pc);
      const op = code.op[pc];
      if (op === EXIT || isJump(op) || endsEarly(code, pc)) break;
      pc = nextSlot(code, pc);
      if (leaders.has(pc)) break;
    }
    blocks.set(start, { start, slots });
  }
  return blocks;
}
