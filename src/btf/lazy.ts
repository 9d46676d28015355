import { decodeBtfType } from './decode.js';
import { scanBtf, type BtfLayout } from './layout.js';
import type { Btf, BtfType } from './types.js';

/** The layout behind each lazily decoded type table, for indexes that read it without decoding. */
const layouts = new WeakMap<readonly (BtfType | undefined)[], BtfLayout>();

/** The array index a property key names ("0", "17", not "01" or "1.5"), or -1. */
function arrayIndex(key: string): number {
  const n = key.length;
  if (n === 0 || n > 9 || (n > 1 && key.charCodeAt(0) === 48)) return -1;
  let i = 0;
  for (let k = 0; k < n; k++) {
    const c = key.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    i = i * 10 + c;
  }
  return i;
}

/**
 * A read-only type table that decodes each record the first time it is read and keeps it: an
 * array to every reader (indexing, length, find, for-of, spread), but only the types a caller
 * touches are ever built. Writes are refused.
 */
function lazyTypeTable(layout: BtfLayout): readonly (BtfType | undefined)[] {
  // Holes until decoded: filling 126,000 slots up front costs more than the scan's own loop.
  const decoded = new Array<BtfType | undefined>(layout.count);
  const get = (i: number): BtfType | undefined => (i < layout.count ? (decoded[i] ??= decodeBtfType(layout, i)) : undefined);
  const index = (key: string | symbol): number => (typeof key === 'string' ? arrayIndex(key) : -1);
  const table = new Proxy(decoded, {
    get(target, key, receiver) {
      const i = index(key);
      return i >= 0 ? get(i) : Reflect.get(target, key, receiver);
    },
    has(target, key) {
      const i = index(key);
      return i >= 0 ? i < layout.count : Reflect.has(target, key);
    },
    getOwnPropertyDescriptor(target, key) {
      const i = index(key);
      if (i >= 0) get(i);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    ownKeys(target) {
      for (let i = 0; i < layout.count; i++) get(i);
      return Reflect.ownKeys(target);
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
  layouts.set(table, layout);
  return table;
}

/** The scanned layout of a lazily decoded type table, or undefined for a plain array. */
export function layoutOf(types: readonly (BtfType | undefined)[]): BtfLayout | undefined {
  return layouts.get(types);
}

/**
 * Parse a `.BTF` blob lazily: the whole blob is checked in one pass (as parseBtf checks it), but
 * a type is decoded only when first read. For large BTF read for a few types, such as the
 * kernel's (/sys/kernel/btf/vmlinux: 126,000 types, of which CO-RE reads a few dozen). The blob
 * is copied, so that later changes to `bytes` cannot reach types decoded after the checks.
 */
export function parseBtfLazily(bytes: Uint8Array, file = 'BTF', base = 0): Btf {
  const layout = scanBtf(bytes.slice(), file, base);
  return { types: lazyTypeTable(layout), strings: layout.strings.bytes };
}
