import { XdpchainError } from '../errors/index.js';
import { isGlobalDataSection } from '../elf/maps.js';
import type { CollectionSpec } from '../object-spec/collection-spec.js';
import type { KconfigExtern, MapSpec } from '../object-spec/map-spec.js';

const KCONFIG = '.kconfig';

export interface MapMergeInput {
  spec: CollectionSpec;
  /** The object's name in messages and in renamed global data sections. */
  label: string;
}

export interface MergedMaps {
  /** Output maps in order, each with the input whose spec (and BTF type ids) it is. */
  maps: { spec: MapSpec; input: number }[];
  /** Per input: its map name → the output map's name. */
  rename: Map<string, string>[];
  /** Per input: offset of a `.kconfig` value access → offset in the merged `.kconfig` map. */
  kconfigOffset(input: number, offset: number): number;
}

const describe = (m: MapSpec): string =>
  `${m.type} (key ${m.keySize} bytes, value ${m.valueSize} bytes, ${m.maxEntries} entries, flags 0x${m.flags.toString(16)}${m.pinning === 'by-name' ? ', pinned by name' : ''}${m.innerMap ? `, inner ${describe(m.innerMap)}` : ''})`;

const sameDefinition = (a: MapSpec, b: MapSpec): boolean =>
  a.type === b.type &&
  a.keySize === b.keySize &&
  a.valueSize === b.valueSize &&
  a.maxEntries === b.maxEntries &&
  a.flags === b.flags &&
  a.pinning === b.pinning &&
  (a.innerMap === undefined) === (b.innerMap === undefined) &&
  (!a.innerMap || sameDefinition(a.innerMap, b.innerMap!));

const contentsKey = (m: MapSpec): string =>
  JSON.stringify(m.contents.map((e) => [Buffer.from(e.key).toString('hex'), e.value instanceof Uint8Array ? Buffer.from(e.value).toString('hex') : e.value]));

/**
 * Merge the maps of several objects. Maps of the same name are one map when their definitions
 * agree (type, key and value size, max entries, flags, pinning, inner map, initial slots) and an
 * error otherwise. Global data stays per object: a `.data`/`.rodata`/`.bss` section an earlier
 * object already has is renamed for its object (see `renamedSection`). `__kconfig` externs share one `.kconfig` map.
 */
export function mergeMaps(inputs: readonly MapMergeInput[]): MergedMaps {
  const out = new Map<string, { spec: MapSpec; input: number }>();
  const rename = inputs.map(() => new Map<string, string>());
  inputs.forEach(({ spec, label }, i) => {
    for (const m of spec.maps.values()) {
      if (m.name === KCONFIG) continue;
      if (isGlobalDataSection(m.name)) {
        let name = m.name;
        for (let n = 2; out.has(name); n++) name = renamedSection(m.name, n === 2 ? label : `${label}_${n}`);
        rename[i].set(m.name, name);
        out.set(name, { spec: { ...m, name }, input: i });
        continue;
      }
      rename[i].set(m.name, m.name);
      const earlier = out.get(m.name);
      if (!earlier) {
        out.set(m.name, { spec: m, input: i });
        continue;
      }
      const other = inputs[earlier.input].label;
      if (!sameDefinition(earlier.spec, m)) {
        throw new XdpchainError(
          'EINVAL',
          `map ${m.name}: ${other} defines it as ${describe(earlier.spec)} but ${label} as ${describe(m)}; maps of the same name are shared, so their definitions must agree`,
          { map: m.name },
        );
      }
      if (contentsKey(earlier.spec) !== contentsKey(m) && m.contents.length > 0 && earlier.spec.contents.length > 0) {
        throw new XdpchainError('EINVAL', `map ${m.name}: ${other} and ${label} give it different initial slots (.values)`, { map: m.name });
      }
      if (earlier.spec.contents.length === 0 && m.contents.length > 0) out.set(m.name, { spec: m, input: i });
    }
  });
  const kconfig = mergeKconfig(inputs);
  if (kconfig) {
    out.set(KCONFIG, { spec: kconfig.spec, input: kconfig.input });
    inputs.forEach((_, i) => rename[i].set(KCONFIG, KCONFIG));
  }
  return {
    maps: [...out.values()],
    rename,
    kconfigOffset: (input, offset) => {
      const own = inputs[input].spec.maps.get(KCONFIG)?.kconfig ?? [];
      const ext = own.find((k) => offset >= k.offset && offset < k.offset + k.size);
      const merged = ext && kconfig?.spec.kconfig?.find((k) => k.name === ext.name);
      if (!ext || !merged) throw new XdpchainError('EINVAL', `${inputs[input].label}: a .kconfig access at offset ${offset} is inside no __kconfig extern`);
      return merged.offset + (offset - ext.offset);
    },
  };
}

/**
 * A per-object name for a global data section another object already uses: `.data.<object>`,
 * `.rodata.<object>`. Zero-initialised `.bss` becomes writable data, `.data.<object>.bss`: libbpf
 * 1.1 (Debian 12's, under bpftool 7.1) skips `.bss.*` sections but loads every `.data.*` one.
 */
function renamedSection(section: string, label: string): string {
  if (section.startsWith('.bss')) return `.data.${label}${section}`;
  const dot = section.indexOf('.', 1);
  return dot < 0 ? `${section}.${label}` : `${section.slice(0, dot)}.${label}${section.slice(dot)}`;
}

/** One `.kconfig` map for every object's externs, laid out like readCollectionSpec does (size, then name). */
function mergeKconfig(inputs: readonly MapMergeInput[]): { spec: MapSpec; input: number } | undefined {
  const first = inputs.findIndex((x) => x.spec.maps.has(KCONFIG));
  if (first < 0) return undefined;
  const byName = new Map<string, Omit<KconfigExtern, 'offset'>>();
  for (const { spec, label } of inputs) {
    for (const k of spec.maps.get(KCONFIG)?.kconfig ?? []) {
      const seen = byName.get(k.name);
      if (seen && seen.size !== k.size)
        throw new XdpchainError('EINVAL', `__kconfig extern ${k.name} is ${seen.size} bytes in one object and ${k.size} in ${label}`);
      byName.set(k.name, { name: k.name, size: k.size, weak: (seen?.weak ?? true) && k.weak });
    }
  }
  let offset = 0;
  const kconfig = [...byName.values()]
    .sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : 1))
    .map((k) => {
      offset = Math.ceil(offset / k.size) * k.size;
      const e = { ...k, offset };
      offset += k.size;
      return e;
    });
  const base = inputs[first].spec.maps.get(KCONFIG)!;
  const size = Math.max(offset, 1);
  return { spec: { ...base, valueSize: size, initialData: new Uint8Array(size), kconfig }, input: first };
}
