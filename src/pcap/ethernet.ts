import { XdpchainError } from '../errors/index.js';
import { cookedToEthernet, type CookedFormat } from './cooked.js';
import { describeLinkType, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from './link-types.js';
import { LINKTYPE_ETHERNET, type CaptureRecord } from './types.js';

const COOKED_FORMATS: Readonly<Record<number, CookedFormat>> = {
  [LINKTYPE_LINUX_SLL]: 'LINUX_SLL',
  [LINKTYPE_LINUX_SLL2]: 'LINUX_SLL2',
};

/**
 * The records of a capture as Ethernet frames, which is what XDP receives: Ethernet records as
 * they are, Linux cooked captures (`tcpdump -i any`) converted, with one `note` per link type
 * converted; any other link type is refused with EINVAL naming it, since reading its bytes as
 * Ethernet would give the program nonsense without a word.
 */
export function* ethernetFrames(records: Iterable<CaptureRecord>, file: string, note: (text: string) => void): Generator<CaptureRecord> {
  const noted = new Set<number>();
  let n = 0;
  for (const r of records) {
    n++;
    if (r.linkType === LINKTYPE_ETHERNET) {
      yield r;
      continue;
    }
    const cooked = COOKED_FORMATS[r.linkType];
    if (!cooked) {
      throw new XdpchainError('EINVAL', `${file}: link type ${describeLinkType(r.linkType)} is not Ethernet, and XDP receives Ethernet frames; xdpchain reads Ethernet (1) and converts Linux cooked capture (113, 276): capture on an Ethernet device instead`, { file, linkType: r.linkType });
    }
    if (!noted.has(r.linkType)) {
      noted.add(r.linkType);
      note(`${file}: link type ${describeLinkType(r.linkType)} converted to Ethernet (source MAC from the cooked header, destination MAC zero, or broadcast for broadcast packets)`);
    }
    yield { ...r, data: cookedToEthernet(r.data, cooked, `${file}: record ${n}`) };
  }
}
