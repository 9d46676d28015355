/**
 * The slots 0..size-1 of a map's preallocated elements: slots never used are handed out in
 * order, freed ones first (the last freed first). Only freed slots are listed, so a map of a
 * million entries costs nothing here until used.
 */
export class SlotPool {
  /** Slots from here on were never handed out. */
  private fresh = 0;
  private readonly freed: number[] = [];

  constructor(private readonly size: number) {}

  /** A free slot, or undefined when every slot is in use. */
  take(): number | undefined {
    const slot = this.freed.pop();
    if (slot !== undefined) return slot;
    return this.fresh < this.size ? this.fresh++ : undefined;
  }

  /** `slot` is free again. */
  give(slot: number): void {
    this.freed.push(slot);
  }

  /** Whether `slot` is free (freed, or never handed out). */
  isFree(slot: number): boolean {
    return slot >= this.fresh || this.freed.includes(slot);
  }
}
