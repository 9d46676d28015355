import { XdpchainError } from '../errors/index.js';
import { cookedToEthernet, type CookedFormat } from './cooked.js';
import type { FrameBatch } from './frame-batch.js';
import { describeLinkType, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from './link-types.js';
import { LINKTYPE_ETHERNET, type CaptureRecord } from './types.js';

const COOKED_FORMATS: Readonly<Record<number, CookedFormat>> = {
  [LINKTYPE_LINUX_SLL]: 'LINUX_SLL',
  [LINKTYPE_LINUX_SLL2]: 'LINUX_SLL2',
};

/**
 * Turns captured frames into Ethernet frames, which is what XDP receives: Ethernet as it is,
 * Linux cooked captures (`tcpdump -i any`) converted, with one `note` per link type converted;
 * any other link type is refused with EINVAL naming it, since reading its bytes as Ethernet
 * would give the program nonsense without a word.
 */
export class EthernetConverter {
  private readonly noted = new Set<number>();

  constructor(
    private readonly file: string,
    private readonly note: (text: string) => void,
  ) {}

  /** Frame `data` of link type `linkType` as Ethernet; `recordNo` (from 1) names it in errors. */
  convert(data: Uint8Array, linkType: number, recordNo: number): Uint8Array {
    if (linkType === LINKTYPE_ETHERNET) return data;
    const cooked = COOKED_FORMATS[linkType];
    if (!cooked) {
      throw new XdpchainError(
        'EINVAL',
        `${this.file}: link type ${describeLinkType(linkType)} is not Ethernet, and XDP receives Ethernet frames; xdpchain reads Ethernet (1) and converts Linux cooked capture (113, 276): capture on an Ethernet device instead`,
        { file: this.file, linkType },
      );
    }
    if (!this.noted.has(linkType)) {
      this.noted.add(linkType);
      this.note(
        `${this.file}: link type ${describeLinkType(linkType)} converted to Ethernet (source MAC from the cooked header, destination MAC zero, or broadcast for broadcast packets)`,
      );
    }
    return cookedToEthernet(data, cooked, `${this.file}: record ${recordNo}`);
  }

  /** Convert the frames of a batch in place; frame 0 is record `firstRecordNo` (from 1). */
  convertBatch(batch: FrameBatch, firstRecordNo: number): void {
    for (let i = 0; i < batch.count; i++) {
      const linkType = batch.linkType[i];
      if (linkType === LINKTYPE_ETHERNET) continue;
      batch.replace(i, this.convert(batch.frame(i), linkType, firstRecordNo + i));
      batch.linkType[i] = LINKTYPE_ETHERNET;
    }
  }
}

/** The records of a capture as Ethernet frames (see EthernetConverter). */
export function* ethernetFrames(records: Iterable<CaptureRecord>, file: string, note: (text: string) => void): Generator<CaptureRecord> {
  const converter = new EthernetConverter(file, note);
  let n = 0;
  for (const r of records) {
    n++;
    yield r.linkType === LINKTYPE_ETHERNET ? r : { ...r, data: converter.convert(r.data, r.linkType, n) };
  }
}
