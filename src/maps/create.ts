import { XdpchainError } from '../errors/index.js';
import type { MapSpec } from '../object-spec/map-spec.js';
import { ArrayMap } from './array.js';
import { CpuMap } from './cpumap.js';
import { DevMap } from './devmap.js';
import { HashMap } from './hash.js';
import { LpmTrieMap } from './lpm-trie.js';
import type { BpfMap, MapDeps } from './map.js';
import { MapInMap } from './map-in-map.js';
import { PerfEventArrayMap } from './perf-event-array.js';
import { ProgArrayMap } from './prog-array.js';
import { mapHandle, type MapRegistry } from './registry.js';
import { RingBufMap } from './ringbuf.js';
import { XskMap } from './xskmap.js';

/** Largest value the kernel allows in a map (KMALLOC_MAX_SIZE is far larger; this keeps memory sane). */
const MAX_VALUE_SIZE = 1 << 20;

/** Create a live map from its spec, with the kernel's map_create checks, and register it. */
export function createMap(spec: MapSpec, deps: MapDeps & { registry: MapRegistry }, id?: number): BpfMap {
  const fail = (why: string): never => {
    throw new XdpchainError('EINVAL', `map ${spec.name} (${spec.type}): ${why}`, { map: spec.name });
  };
  if (spec.maxEntries === 0) {
    fail(
      'max_entries is 0, which the kernel refuses; the object expects its loader to size it: set MapSpec.maxEntries, or give --map-size ' + `${spec.name}=N`,
    );
  }
  if (!Number.isInteger(spec.maxEntries) || spec.maxEntries < 0 || spec.maxEntries > 0xffffffff)
    fail(`max_entries must be an integer from 1 to 4294967295, not ${spec.maxEntries}`);
  if (spec.valueSize > MAX_VALUE_SIZE) throw new XdpchainError('E2BIG', `map ${spec.name}: value size ${spec.valueSize} is above ${MAX_VALUE_SIZE}`);
  const needsValues = !['ringbuf'].includes(spec.type);
  if (needsValues && spec.valueSize === 0) fail('value size must not be 0');
  const mapId = deps.registry.allocateId(id);
  let map: BpfMap;
  try {
    map = construct(spec, mapId, deps);
  } catch (e) {
    // The address space names the allocation; say which map could not be created.
    if (e instanceof XdpchainError && e.errno === 'ENOMEM')
      throw new XdpchainError('ENOMEM', `map ${spec.name} (${spec.type}) does not fit: ${e.message}`, { ...e.detail, map: spec.name });
    throw e;
  }
  deps.registry.add(map);
  return map;
}

/** The live map of `spec`'s family. */
function construct(spec: MapSpec, mapId: number, deps: MapDeps): BpfMap {
  const h = mapHandle(mapId);
  switch (spec.type) {
    case 'array':
      return new ArrayMap(spec, mapId, h, deps, false);
    case 'percpu_array':
      return new ArrayMap(spec, mapId, h, deps, true);
    case 'hash':
      return new HashMap(spec, mapId, h, deps, { perCpu: false, lru: false });
    case 'percpu_hash':
      return new HashMap(spec, mapId, h, deps, { perCpu: true, lru: false });
    case 'lru_hash':
      return new HashMap(spec, mapId, h, deps, { perCpu: false, lru: true });
    case 'lru_percpu_hash':
      return new HashMap(spec, mapId, h, deps, { perCpu: true, lru: true });
    case 'lpm_trie':
      return new LpmTrieMap(spec, mapId, h, deps);
    case 'prog_array':
      return new ProgArrayMap(spec, mapId, h, deps);
    case 'devmap':
      return new DevMap(spec, mapId, h, deps, true);
    case 'devmap_hash':
      return new DevMap(spec, mapId, h, deps, false);
    case 'cpumap':
      return new CpuMap(spec, mapId, h, deps);
    case 'xskmap':
      return new XskMap(spec, mapId, h, deps);
    case 'perf_event_array':
      return new PerfEventArrayMap(spec, mapId, h, deps);
    case 'ringbuf':
      return new RingBufMap(spec, mapId, h, deps);
    case 'array_of_maps':
      return new MapInMap(spec, mapId, h, deps, true);
    case 'hash_of_maps':
      return new MapInMap(spec, mapId, h, deps, false);
  }
}
