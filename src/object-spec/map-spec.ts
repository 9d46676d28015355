import type { Btf } from '../btf/types.js';

/** Map types by kernel name; numbers are enum bpf_map_type. */
export const MapType = {
  hash: 1,
  array: 2,
  prog_array: 3,
  perf_event_array: 4,
  percpu_hash: 5,
  percpu_array: 6,
  lru_hash: 9,
  lru_percpu_hash: 10,
  lpm_trie: 11,
  array_of_maps: 12,
  hash_of_maps: 13,
  devmap: 14,
  cpumap: 16,
  xskmap: 17,
  devmap_hash: 25,
  ringbuf: 27,
} as const;
export type MapTypeName = keyof typeof MapType;

export function mapTypeName(type: number): MapTypeName | undefined {
  return (Object.keys(MapType) as MapTypeName[]).find((k) => MapType[k] === type);
}

/** Map flags (enum in uapi/linux/bpf.h). */
export const MapFlag = {
  NO_PREALLOC: 1 << 0,
  NO_COMMON_LRU: 1 << 1,
  NUMA_NODE: 1 << 2,
  RDONLY: 1 << 3,
  WRONLY: 1 << 4,
  MMAPABLE: 1 << 10,
  RDONLY_PROG: 1 << 7,
  WRONLY_PROG: 1 << 8,
} as const;

/** Initial key/value pairs (BTF `.values` of map-in-map and prog_array; or set by the user). */
export interface MapEntrySpec {
  key: Uint8Array;
  /** Bytes of the value, or for prog_array / map-in-map the name of the program or map. */
  value: Uint8Array | { program: string } | { map: string };
}

/** A map as parsed from an object file: plain, editable data with no live state. */
export interface MapSpec {
  name: string;
  type: MapTypeName;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** LIBBPF_PIN_BY_NAME in the BTF definition. */
  pinning: 'none' | 'by-name';
  /** Template for the inner maps of array_of_maps / hash_of_maps. */
  innerMap?: MapSpec;
  contents: MapEntrySpec[];
  /** For global-data maps (.data, .rodata, .bss, .kconfig): initial bytes of value 0. */
  initialData?: Uint8Array;
  /** Read-only for programs after load (.rodata, .kconfig): the kernel's frozen map. */
  frozen: boolean;
  /** For `.kconfig`: where each extern lives in the value, filled at load from known values. */
  kconfig?: KconfigExtern[];
  /** BTF type ids of key and value, for pretty printing; 0 when unknown. */
  keyTypeId: number;
  valueTypeId: number;
  btf?: Btf;
}

/** An `extern ... __kconfig` variable: libbpf gives it a slot in the read-only `.kconfig` map. */
export interface KconfigExtern {
  name: string;
  offset: number;
  size: number;
  /** Weak externs that are unknown read as zero; strong ones make the load fail. */
  weak: boolean;
}
