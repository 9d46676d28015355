import type { BpfMap } from '../maps/map.js';
import type { HelperCall, HelperSpec } from '../vm/helper.js';
import type { HelperServices } from './services.js';
import { inlineArrayUpdate, inlineMapLookup } from '../vm/wasm/inline-maps.js';

/** The map a helper's map argument names; anything else ends the run with a clear fault. */
export function mapArg(s: HelperServices, c: HelperCall, i: 1 | 2 | 3 = 1): BpfMap {
  const m = s.maps.byHandle(c.hi(i) * 4294967296 + c.lo(i));
  if (!m) c.fault(`argument ${i} (0x${c.u64(i).toString(16)}) is not a map`);
  return m!;
}

/**
 * The map a helper writes (update, delete). A frozen map (.rodata, BPF_F_RDONLY_PROG) is
 * read-only for programs: the kernel's verifier refuses to load a program that writes one
 * ("write into map forbidden"); without that check at load, the run ends here, naming the map.
 */
function writableMapArg(s: HelperServices, c: HelperCall): BpfMap {
  const m = mapArg(s, c);
  if (m.frozen)
    c.fault(
      `map ${m.spec.name} is read-only for programs (frozen, like .rodata): the kernel refuses to load a program that writes it (write into map forbidden)`,
    );
  return m;
}

/** Flags are u64; bits above 32 are never valid for map updates. */
const flags32 = (c: HelperCall, i: 3 | 4 | 5): number => (c.hi(i) !== 0 ? 0xffffffff : c.lo(i));

export function mapHelpers(s: HelperServices): HelperSpec[] {
  return [
    { id: 1, name: 'bpf_map_lookup_elem', fn: (c) => mapArg(s, c).lookupElem(c.addr(2), s.cpu()), wasm: inlineMapLookup },
    { id: 2, name: 'bpf_map_update_elem', fn: (c) => writableMapArg(s, c).updateElem(c.addr(2), c.addr(3), flags32(c, 4), s.cpu()), wasm: inlineArrayUpdate },
    { id: 3, name: 'bpf_map_delete_elem', fn: (c) => writableMapArg(s, c).deleteElem(c.addr(2)) },
    {
      id: 195,
      name: 'bpf_map_lookup_percpu_elem',
      fn: (c) => (c.lo(3) >= s.possibleCpus || c.hi(3) !== 0 ? 0 : mapArg(s, c).lookupElem(c.addr(2), c.lo(3))),
    },
  ];
}
