/** Link-layer header types of pcap and pcapng (tcpdump.org's LINKTYPE_ list), the ones people meet. */
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

const NAMES: Readonly<Record<number, string>> = {
  0: 'NULL',
  1: 'ETHERNET',
  6: 'IEEE802_5',
  8: 'SLIP',
  9: 'PPP',
  10: 'FDDI',
  50: 'PPP_HDLC',
  101: 'RAW',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  108: 'LOOP',
  113: 'LINUX_SLL',
  117: 'PFLOG',
  119: 'IEEE802_11_PRISM',
  127: 'IEEE802_11_RADIOTAP',
  147: 'USER0',
  192: 'PPI',
  195: 'IEEE802_15_4_WITHFCS',
  220: 'USB_LINUX_MMAPPED',
  228: 'IPV4',
  229: 'IPV6',
  249: 'NETLINK',
  263: 'BLUETOOTH_LE_LL',
  276: 'LINUX_SLL2',
};

/** A link type as people read it: its number and its LINKTYPE_ name (`105 (IEEE802_11)`). */
export function describeLinkType(linkType: number): string {
  return `${linkType} (${NAMES[linkType] ?? 'unknown'})`;
}
