import { XdpchainError } from '../errors/index.js';
import { refuseBoundIn } from './dev-bound.js';
import type { Program } from './program.js';

/** Chain-call slots per program: slot 0 is the wildcard, slot ret+1 is taken on return code ret (0..6). */
export const CHAIN_SLOTS = 8;
/** At most this many programs run in one chain (the 2019 series' limit). */
export const MAX_CHAIN_CALLS = 32;
/** The series' load flag; accepted and recorded, not required (its cover letter said so). */
export const BPF_F_CHAIN_CALLS = 1 << 4;

/** The retcode users pass for the wildcard slot (~0 as u32, or -1). */
export const CHAIN_WILDCARD = -1;

/** Slot index for a user-given return code; E2BIG for 7 and above, as the series did. */
export function chainSlot(retcode: number): number {
  if (retcode === CHAIN_WILDCARD || retcode === 0xffffffff) return 0;
  if (!Number.isInteger(retcode) || retcode < 0) throw new XdpchainError('EINVAL', `return code ${retcode} is neither 0..6 nor the wildcard (-1)`);
  if (retcode + 1 >= CHAIN_SLOTS)
    throw new XdpchainError('E2BIG', `return code ${retcode} has no chain slot: slots exist for 0..${CHAIN_SLOTS - 2} and the wildcard`);
  return retcode + 1;
}

/**
 * The 2019 series' chain calls: each program has 8 "what runs next" slots. Inserting an edge
 * that would close a cycle is refused with ELOOP (cycles leak references and loop).
 */
export class ChainTable {
  private readonly slots = new Map<number, (Program | undefined)[]>();
  private readonly owners = new Map<number, Program>();

  /** `changed` hears every change of a program's slots (the runtime mirrors them for compiled batches). */
  constructor(private readonly changed?: (prev: Program, slots: readonly (Program | undefined)[]) => void) {}

  private slotsOf(p: Program): (Program | undefined)[] {
    let s = this.slots.get(p.id);
    if (!s) {
      s = new Array(CHAIN_SLOTS).fill(undefined);
      this.slots.set(p.id, s);
      this.owners.set(p.id, p);
    }
    return s;
  }

  add(prev: Program, retcode: number, next: Program): void {
    const slot = chainSlot(retcode);
    refuseBoundIn(
      next,
      'chained to',
      'a chain call may run it after a program on any device, as a tail call could, and the kernel keeps device-bound programs out of program arrays for that reason',
    );
    if (next === prev || this.reaches(next, prev)) {
      throw new XdpchainError(
        'ELOOP',
        `chaining ${prev.name} (id ${prev.id}) → ${next.name} (id ${next.id}) would close a cycle: ${next.name} already leads back to ${prev.name}`,
      );
    }
    const s = this.slotsOf(prev);
    s[slot] = next;
    this.changed?.(prev, s);
  }

  delete(prev: Program, retcode: number): Program {
    const slot = chainSlot(retcode);
    const s = this.slots.get(prev.id);
    const next = s?.[slot];
    if (!s || !next) throw new XdpchainError('ENOENT', `${prev.name} (id ${prev.id}) has no chain call for ${describe(retcode)}`);
    s[slot] = undefined;
    this.changed?.(prev, s);
    return next;
  }

  get(prev: Program, retcode: number): Program {
    const next = this.slots.get(prev.id)?.[chainSlot(retcode)];
    if (!next) throw new XdpchainError('ENOENT', `${prev.name} (id ${prev.id}) has no chain call for ${describe(retcode)}`);
    return next;
  }

  /** The program to run after `prev` returned `ret`, per the series' run loop. */
  next(prev: Program, ret: number): Program | undefined {
    const s = this.slots.get(prev.id);
    if (!s) return undefined;
    return ret + 1 >= CHAIN_SLOTS ? s[0] : (s[ret + 1] ?? s[0]);
  }

  /** Every (slot, next) of a program, for status output. */
  edges(prev: Program): { retcode: number | 'any'; next: Program }[] {
    const s = this.slots.get(prev.id) ?? [];
    return s.flatMap((n, i) => (n ? [{ retcode: i === 0 ? ('any' as const) : i - 1, next: n }] : []));
  }

  /** Programs that chain to `p` (they hold a reference to it). */
  referrers(p: Program): Program[] {
    return [...this.slots].filter(([, s]) => s.includes(p)).map(([id]) => this.owners.get(id)!);
  }

  /** Forget a program's own slots (when it is unloaded). */
  clear(p: Program): void {
    this.slots.delete(p.id);
    this.owners.delete(p.id);
    this.changed?.(p, []);
  }

  private reaches(from: Program, to: Program, seen = new Set<number>()): boolean {
    if (seen.has(from.id)) return false;
    seen.add(from.id);
    for (const n of this.slots.get(from.id) ?? []) {
      if (!n) continue;
      if (n === to || this.reaches(n, to, seen)) return true;
    }
    return false;
  }
}

const describe = (retcode: number): string => (retcode === CHAIN_WILDCARD || retcode === 0xffffffff ? 'the wildcard' : `return code ${retcode}`);
