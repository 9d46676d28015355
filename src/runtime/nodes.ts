import { XdpchainError } from '../errors/index.js';
import { BATCH_SLOTS, COUNTER_BYTES, Cursor, type BatchDriver, type BatchLayout } from '../vm/batch.js';
import type { AddressSpace } from '../vm/address-space.js';
import type { Executable, ExecutionEngine } from '../vm/engine.js';
import { MAX_CHAIN_CALLS } from './chain.js';
import type { ProgramStats } from './program.js';

/** Loaded programs a runtime can hold at once (each has a node in the batch graph). */
export const MAX_PROGRAM_NODES = 16384;

/** A program's run count and time, kept in memory where compiled batch code counts too. */
class StatsCells implements ProgramStats {
  constructor(
    private readonly space: AddressSpace,
    private readonly addr: number,
  ) {}
  get runCount(): number {
    return this.space.dv.getFloat64(this.addr, true);
  }
  set runCount(v: number) {
    this.space.dv.setFloat64(this.addr, v, true);
  }
  get runTimeNs(): number {
    return this.space.dv.getFloat64(this.addr + 8, true);
  }
  set runTimeNs(v: number) {
    this.space.dv.setFloat64(this.addr + 8, v, true);
  }
  toJSON(): { runCount: number; runTimeNs: number } {
    return { runCount: this.runCount, runTimeNs: this.runTimeNs };
  }
}

/**
 * Every loaded program's place in the batch graph (src/vm/batch.ts): a node index, its
 * statistics cells and its chain successors, in the runtime's private memory, plus the engine's
 * batch driver bound to the same nodes when the engine has one.
 */
export class ProgramNodes {
  readonly layout: BatchLayout;
  readonly driver: BatchDriver | undefined;
  private readonly free: number[] = [];
  private next = 0;

  constructor(
    readonly space: AddressSpace,
    engine: ExecutionEngine,
  ) {
    const counters = space.allocPrivate(MAX_PROGRAM_NODES * COUNTER_BYTES, 'program statistics');
    const successors = space.allocPrivate(MAX_PROGRAM_NODES * BATCH_SLOTS * 4, 'chain successors');
    const cursor = space.allocPrivate(Cursor.size, 'batch cursor');
    this.layout = { counters, successors, cursor, maxChain: MAX_CHAIN_CALLS };
    this.driver = engine.batchDriver?.(this.layout);
  }

  /**
   * A node for a program about to be compiled, with zeroed statistics and no successors;
   * `counter` is the address of its run count (ExecutableSpec.runCounter). `bind` it once compiled.
   */
  allocate(name: string): { node: number; stats: ProgramStats; counter: number } {
    const node = this.free.pop() ?? this.next++;
    if (node >= MAX_PROGRAM_NODES) {
      this.next = MAX_PROGRAM_NODES;
      throw new XdpchainError('ENOSPC', `${MAX_PROGRAM_NODES} programs are loaded; unload some before loading ${name}`);
    }
    const counter = this.layout.counters + node * COUNTER_BYTES;
    const stats = new StatsCells(this.space, counter);
    stats.runCount = 0;
    stats.runTimeNs = 0;
    // Successors are already empty: fresh memory is zero, and `release` clears a node it frees.
    return { node, stats, counter };
  }

  bind(node: number, exe: Executable): void {
    this.driver?.bind(node, exe);
  }

  release(node: number): void {
    this.setSuccessors(node, []);
    this.driver?.bind(node, null);
    this.free.push(node);
  }

  /** Node `node` continues at `next[slot]` (a node, or undefined) after each return code's slot. */
  setSuccessors(node: number, next: readonly (number | undefined)[]): void {
    const dv = this.space.dv;
    const base = this.layout.successors + node * BATCH_SLOTS * 4;
    for (let slot = 0; slot < BATCH_SLOTS; slot++) dv.setInt32(base + slot * 4, next[slot] === undefined ? 0 : next[slot]! + 1, true);
    this.driver?.successorsChanged();
  }

  /** The cursor cell `cell` (Cursor.*) after a batch stopped. */
  cursor(cell: number): number {
    return this.space.dv.getInt32(this.layout.cursor + cell * 4, true);
  }
}
