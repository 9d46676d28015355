import { XdpchainError } from '../errors/index.js';

/** Licence strings the kernel treats as GPL-compatible (license_is_gpl_compatible). */
const GPL_COMPATIBLE = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

/**
 * The licence of a linked object. The kernel applies one licence to all the code, so objects may
 * be joined when they agree, or when all are GPL-compatible (the first one's string is kept);
 * mixing GPL-compatible and other code is refused, since the result could not call GPL-only
 * helpers the GPL parts rely on, nor honestly carry the other licence.
 */
export function mergeLicenses(inputs: readonly { license: string; label: string }[]): string {
  const distinct = [...new Set(inputs.map((i) => i.license))];
  if (distinct.length <= 1) return distinct[0] ?? '';
  if (distinct.every((l) => GPL_COMPATIBLE.has(l))) return inputs[0].license;
  const list = inputs.map((i) => `${i.label}: "${i.license}"`).join(', ');
  throw new XdpchainError('EINVAL', `objects with different licences cannot be linked into one program (${list})`);
}
