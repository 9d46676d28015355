import { XdpchainError } from '../errors/index.js';
import type { BpfMap } from './map.js';

/** Map handles are tagged constants outside the data address range: never accessible memory. */
export const MAP_HANDLE_BASE = 0x7e00_0000_0000;
export const mapHandle = (id: number): number => MAP_HANDLE_BASE + id * 16;

/** Live maps by id and by handle; ids count from 1 like the kernel's. */
export class MapRegistry {
  private nextId = 1;
  private readonly byId = new Map<number, BpfMap>();

  /** A fresh id, or `wanted` (restoring a saved state) when it is free. */
  allocateId(wanted?: number): number {
    if (wanted === undefined) return this.nextId++;
    if (this.byId.has(wanted)) throw new XdpchainError('EEXIST', `map id ${wanted} is taken`);
    this.nextId = Math.max(this.nextId, wanted + 1);
    return wanted;
  }
  get next(): number {
    return this.nextId;
  }
  /** Restore the id counter (state directories keep ids stable across invocations). */
  reserveIdsBelow(id: number): void {
    this.nextId = Math.max(this.nextId, id);
  }
  add(map: BpfMap): void {
    this.byId.set(map.id, map);
  }
  remove(map: BpfMap): void {
    this.byId.delete(map.id);
  }
  get(id: number): BpfMap | undefined {
    return this.byId.get(id);
  }
  /** The map a program-visible handle names. */
  byHandle(value: bigint | number): BpfMap | undefined {
    const v = typeof value === 'bigint' ? Number(value) : value;
    if (v < MAP_HANDLE_BASE || (v - MAP_HANDLE_BASE) % 16 !== 0) return undefined;
    return this.byId.get((v - MAP_HANDLE_BASE) / 16);
  }
  /** Every map, in no particular order (no sorting: for lookups on a program's path). */
  values(): IterableIterator<BpfMap> {
    return this.byId.values();
  }
  all(): BpfMap[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }
}
