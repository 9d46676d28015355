import { arrayOf, bool, byKind, count, hex, int, isoDate, num, object, oneOf, recordOf, sha256, str, type Check } from './validate.js';

/** The shape of state.json's own fields (StateSnapshot); `hooks` values are checked by their extensions. */

const programStats = object({ runCount: count, runTimeNs: num });

const collection = object(
  {
    object: sha256,
    programs: recordOf(
      object({ id: count, stats: programStats, loadedAt: isoDate }, { flags: count, ifindex: count, target: object({ program: count, function: str }) }),
    ),
    maps: recordOf(object({ id: count, entries: arrayOf(object({ key: hex, value: hex })) })),
  },
  {
    edits: object({}, { mapSizes: recordOf(count), globals: recordOf(hex), programType: oneOf('xdp') }),
    kernelBtf: object({ sha: sha256, source: str }),
  },
);

const netdev = object(
  { name: str, ifindex: count, mac: hex, mtu: count, stats: recordOf(num) },
  { peer: str, rxMetadata: arrayOf(oneOf('timestamp', 'hash', 'vlan')), rxVlanStrip: bool },
);

const routing = object({
  routes: arrayOf(
    object(
      { family: oneOf(4, 6), prefix: hex, prefixLength: count, type: oneOf('unicast', 'local', 'blackhole', 'unreachable', 'prohibit'), metric: int },
      { gateway: hex, ifindex: count, mtu: count },
    ),
  ),
  neighbours: arrayOf(object({ key: str, mac: hex })),
  forwarding4: arrayOf(count),
  forwardingAll4: bool,
  forwarding6: bool,
});

const link = byKind('kind', {
  xdp: object({ id: count, kind: str, program: count, ifindex: count }, { pin: str }),
  freplace: object({ id: count, kind: str, program: count }, { pin: str }),
});

/** state.json (StateSnapshot) field by field. */
export const snapshotSchema: Check = object(
  {
    version: oneOf(1),
    possibleCpus: count,
    ids: object({ nextProgram: count, nextMap: count, nextLink: count }),
    objects: recordOf(object({ source: str })),
    collections: arrayOf(collection),
    netdevs: arrayOf(netdev),
    routing,
    chains: arrayOf(object({ prev: count, retcode: int, next: count })),
    attachments: arrayOf(object({ ifindex: count, program: count })),
    links: arrayOf(link),
  },
  { hooks: recordOf(() => undefined) },
);
