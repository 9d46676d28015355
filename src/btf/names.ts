import { layoutOf } from './lazy.js';
import type { BtfLayout } from './layout.js';
import type { Btf } from './types.js';

/**
 * A type's essential name: everything before its last `___flavour` suffix, where the separator
 * is three underscores between characters that are not underscores (`iphdr___v2` → `iphdr`).
 */
export function essentialName(name: string): string {
  if (!name.includes('___')) return name;
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return name.slice(0, i + 1);
  }
  return name;
}

/** Lookups already answered, per scanned BTF (which cannot change). */
const answered = new WeakMap<BtfLayout, Map<string, readonly number[]>>();

/**
 * The ids of types with essential name `name` in a scanned BTF whose strings are ASCII: the
 * string section is searched for `name` (a native string search, about a millisecond over the
 * kernel's 2 MB), then the types named at each match are read off the scan's offset index. A
 * full name index would cost more to build than all the lookups a load makes.
 */
function searchNames(layout: BtfLayout, text: string, name: string): number[] {
  const ids: number[] = [];
  // A name with a flavour of its own (`a___b`) is no type's essential name, but may be part of one (`a___b___c`).
  const essential = essentialName(name) === name;
  for (let p = text.indexOf(name); p >= 0; p = text.indexOf(name, p + 1)) {
    const after = p + name.length;
    const whole = after === text.length || text.charCodeAt(after) === 0;
    if ((whole && essential) || (text.startsWith('___', after) && essentialName(layout.strings.at(p)) === name)) ids.push(...layout.byNameOffset.at(p));
  }
  return ids.sort((a, b) => a - b);
}

/**
 * The ids of the types whose essential name is `name` (anonymous types for ''), ascending. A
 * lazily parsed BTF (parseBtfLazily) with ASCII names is searched without decoding its types,
 * each name once; anything else is scanned type by type.
 */
export function typeIdsByEssentialName(btf: Btf, name: string): readonly number[] {
  const layout = layoutOf(btf.types);
  const text = layout && name !== '' ? layout.strings.text() : undefined;
  if (layout && text !== undefined) {
    let cache = answered.get(layout);
    if (!cache) answered.set(layout, (cache = new Map()));
    let ids = cache.get(name);
    if (!ids) cache.set(name, (ids = searchNames(layout, text, name)));
    return ids;
  }
  const ids: number[] = [];
  btf.types.forEach((t, id) => {
    if (t && essentialName(t.name) === name) ids.push(id);
  });
  return ids;
}
