import { decodeBtfType } from './decode.js';
import { scanBtf } from './layout.js';
import type { Btf, BtfType } from './types.js';

export { BTF_MAGIC } from './layout.js';

/**
 * Parse a `.BTF` blob (header, type section, string section) into a plain array of every type.
 * Malformed input is a MalformedInputError naming the structure and offset (see scanBtf).
 */
export function parseBtf(bytes: Uint8Array, file = 'BTF', base = 0): Btf {
  const layout = scanBtf(bytes, file, base);
  const types: (BtfType | undefined)[] = [undefined];
  for (let id = 1; id < layout.count; id++) types.push(decodeBtfType(layout, id));
  return { types, strings: layout.strings.bytes };
}
