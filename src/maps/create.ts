import { XdpchainError } from '../errors/index.js';
import type { MapSpec } from '../spec/map-spec.js';
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
    fail('max_entries is 0, which the kernel refuses; the object expects its loader to size it: set MapSpec.maxEntries, or give --map-size ' + `${spec.name}=N`);
  }
  if (!Number.isInteger(spec.maxEntries) || spec.maxEntries < 0 || spec.maxEntries > 0xffffffff) fail(`max_entries must be an integer from 1 to 4294967295, not ${spec.maxEntries}`);
  if (spec.valueSize > MAX_VALUE_SIZE) throw new XdpchainError('E2BIG', `map ${spec.name}: value size ${spec.valueSize} is above ${MAX_VALUE_SIZE}`);
  const needsValues = !['ringbuf'].includes(spec.type);
  if (needsValues && spec.valueSize === 0) fail('value size must not be 0');
  const mapId = deps.registry.allocateId(id);
  const h = mapHandle(mapId);
  let map: BpfMap;
  switch (spec.type) {
    case 'array': map = new ArrayMap(spec, mapId, h, deps, false); break;
    case 'percpu_array': map = new ArrayMap(spec, mapId, h, deps, true); break;
    case 'hash': map = new HashMap(spec, mapId, h, deps, { perCpu: false, lru: false }); break;
    case 'percpu_hash': map = new HashMap(spec, mapId, h, deps, { perCpu: true, lru: false }); break;
    case 'lru_hash': map = new HashMap(spec, mapId, h, deps, { perCpu: false, lru: true }); break;
    case 'lru_percpu_hash': map = new HashMap(spec, mapId, h, deps, { perCpu: true, lru: true }); break;
    case 'lpm_trie': map = new LpmTrieMap(spec, mapId, h, deps); break;
    case 'prog_array': map = new ProgArrayMap(spec, mapId, h, deps); break;
    case 'devmap': map = new DevMap(spec, mapId, h, deps, true); break;
    case 'devmap_hash': map = new DevMap(spec, mapId, h, deps, false); break;
    case 'cpumap': map = new CpuMap(spec, mapId, h, deps); break;
    case 'xskmap': map = new XskMap(spec, mapId, h, deps); break;
    case 'perf_event_array': map = new PerfEventArrayMap(spec, mapId, h, deps); break;
    case 'ringbuf': map = new RingBufMap(spec, mapId, h, deps); break;
    case 'array_of_maps': map = new MapInMap(spec, mapId, h, deps, true); break;
    case 'hash_of_maps': map = new MapInMap(spec, mapId, h, deps, false); break;
  }
  deps.registry.add(map);
  return map;
}
