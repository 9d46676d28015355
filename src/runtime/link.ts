import { XdpchainError } from '../errors/index.js';
import type { Program } from './program.js';

export type LinkKind = 'xdp' | 'freplace';

/**
 * An attachment owned by a link object: it stays in place while the link lives, and closing the
 * link undoes it. Pinned links survive their creator (the state directory keeps them).
 */
export interface Link {
  readonly id: number;
  readonly kind: LinkKind;
  program: Program;
  /** Set when a mode (the dispatcher) owns the link and recreates it itself. */
  readonly ownedBy?: string;
  /** Where it is attached, for `link show`. */
  describe(): Record<string, unknown>;
  /** Undo the attachment. */
  close(): void;
}

export class LinkRegistry {
  private nextId = 1;
  private readonly byId = new Map<number, Link>();
  readonly pins = new Map<string, Link>();

  /** A fresh id, or `wanted` (restoring a saved state). */
  allocateId(wanted?: number): number {
    if (wanted === undefined) return this.nextId++;
    if (this.byId.has(wanted)) throw new XdpchainError('EEXIST', `link id ${wanted} is taken`);
    this.nextId = Math.max(this.nextId, wanted + 1);
    return wanted;
  }
  get next(): number {
    return this.nextId;
  }
  reserveIdsBelow(id: number): void {
    this.nextId = Math.max(this.nextId, id);
  }
  add(link: Link): Link {
    this.byId.set(link.id, link);
    return link;
  }
  get(id: number): Link {
    const l = this.byId.get(id);
    if (!l) throw new XdpchainError('ENOENT', `no link with id ${id} (see link show)`);
    return l;
  }
  all(): Link[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }
  /** Close a link and forget it (and its pins). */
  detach(id: number): Link {
    const l = this.get(id);
    l.close();
    this.byId.delete(id);
    for (const [name, p] of this.pins) if (p === l) this.pins.delete(name);
    return l;
  }
  pin(link: Link, name: string): void {
    if (this.pins.has(name)) throw new XdpchainError('EEXIST', `a link is already pinned as ${name}`);
    this.pins.set(name, link);
  }
  usedBy(p: Program): Link[] {
    return this.all().filter((l) => l.program === p);
  }
}
