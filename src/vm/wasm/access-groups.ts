import { CALL, CALLX, classOf, InsnClass, isAtomicFetch, isLegacyLoad, LD_IMM64, STACK_SIZE } from '../../isa/opcodes.js';
import type { Code } from '../interp/code.js';

/**
 * Memory accesses of one basic block through the same base register, with no write to that
 * register (and no call) between them: one check of the range they span, made before the first,
 * covers them all. When it fails, each access checks itself as usual, so a fault is still
 * reported at the access that makes it, after the instructions before it ran.
 */
export interface AccessGroup {
  base: number;
  /** Slot of the first access: the range check goes before it. */
  first: number;
  members: number[];
  /** Offsets from the base: the range is [minOff, maxEnd). */
  minOff: number;
  maxEnd: number;
  write: boolean;
}

const SIZE = [4, 2, 1, 8];

/** Base register, size and direction of a memory access at `pc`, or undefined. */
export function accessAt(code: Code, pc: number): { base: number; size: number; write: boolean } | undefined {
  const op = code.op[pc];
  const cls = op & 7;
  const size = SIZE[(op >> 3) & 3];
  if (cls === 0x01) return { base: code.src[pc], size, write: false };
  if (cls === 0x02 || cls === 0x03) return { base: code.dst[pc], size, write: true };
  return undefined;
}

/** Registers the instruction at `pc` writes; every register for calls and legacy loads (they end all groups). */
function writes(code: Code, pc: number): number[] | 'all' {
  const op = code.op[pc];
  const cls = classOf(op);
  if (op === CALL || op === CALLX || isLegacyLoad(op)) return 'all';
  if (cls === InsnClass.ALU || cls === InsnClass.ALU64 || cls === InsnClass.LDX || op === LD_IMM64) return [code.dst[pc]];
  if (isAtomicFetch(op, code.imm[pc])) return [code.src[pc], 0]; // atomic fetch (cmpxchg writes r0)
  return [];
}

/** An access r10 makes inside its frame needs no check at all (FunctionGen.address). */
export const inFrame = (base: number, off: number, size: number): boolean => base === 10 && off >= -STACK_SIZE && off + size <= 0;

/** The groups of two or more accesses in a block's slots, by the slot of each member. */
export function accessGroups(code: Code, slots: readonly number[]): Map<number, AccessGroup> {
  const open = new Map<number, AccessGroup>();
  const byMember = new Map<number, AccessGroup>();
  const close = (base: number): void => {
    const g = open.get(base);
    open.delete(base);
    if (g && g.members.length > 1) for (const pc of g.members) byMember.set(pc, g);
  };
  for (const pc of slots) {
    const w = writes(code, pc);
    if (w === 'all') {
      for (const base of [...open.keys()]) close(base);
      continue;
    }
    const a = accessAt(code, pc);
    const off = code.off[pc];
    if (a && !inFrame(a.base, off, a.size)) {
      const g = open.get(a.base);
      if (g) {
        g.members.push(pc);
        g.minOff = Math.min(g.minOff, off);
        g.maxEnd = Math.max(g.maxEnd, off + a.size);
        g.write ||= a.write;
      } else {
        open.set(a.base, { base: a.base, first: pc, members: [pc], minOff: off, maxEnd: off + a.size, write: a.write });
      }
    }
    for (const r of w) close(r);
  }
  for (const base of [...open.keys()]) close(base);
  return byMember;
}
