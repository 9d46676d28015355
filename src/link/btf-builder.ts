import type { Btf, BtfType } from '../btf/types.js';

/** A BtfType without its id: the builder assigns ids. */
export type NewBtfType = BtfType extends infer T ? (T extends BtfType ? Omit<T, 'id'> : never) : never;

/**
 * A mutable copy of a BTF type table: types can be appended and replaced in place (keeping their
 * ids, so every reference stays valid). `build()` gives a plain Btf for `encodeBtf`.
 */
export class BtfBuilder {
  private readonly types: (BtfType | undefined)[];

  constructor(btf?: Btf) {
    this.types = btf ? [...btf.types] : [undefined];
  }

  get(id: number): BtfType | undefined {
    return this.types[id];
  }

  add(t: NewBtfType): number {
    const id = this.types.length;
    this.types.push({ ...t, id } as BtfType);
    return id;
  }

  replace(t: BtfType): void {
    this.types[t.id] = t;
  }

  find(pred: (t: BtfType) => boolean): BtfType | undefined {
    return this.types.find((t): t is BtfType => t !== undefined && pred(t));
  }

  datasec(name: string): Extract<BtfType, { kind: 'datasec' }> | undefined {
    const t = this.find((x) => x.kind === 'datasec' && x.name === name);
    return t?.kind === 'datasec' ? t : undefined;
  }

  all(): BtfType[] {
    return this.types.filter((t): t is BtfType => t !== undefined);
  }

  /** A 4-byte `int` (an existing one when there is one), for `__uint()` map attributes. */
  intType(): number {
    const t = this.find((x) => x.kind === 'int' && x.name === 'int' && x.size === 4 && x.signed);
    return t ? t.id : this.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, signed: true, char: false, bool: false });
  }

  /** The array-index type clang uses (`__ARRAY_SIZE_TYPE__`). */
  indexType(): number {
    const t = this.find((x) => x.kind === 'int' && x.name === '__ARRAY_SIZE_TYPE__');
    return t ? t.id : this.add({ kind: 'int', name: '__ARRAY_SIZE_TYPE__', size: 4, bits: 32, bitOffset: 0, signed: false, char: false, bool: false });
  }

  build(): Btf {
    return { types: this.types, strings: new Uint8Array(0) };
  }
}
