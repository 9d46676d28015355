/** An Ethernet frame: IPv4 UDP with a payload, long enough for every parser in our programs. */
export const UDP_FRAME = Uint8Array.from({ length: 96 }, (_, i) => {
  if (i < 12) return 0x02;
  const fixed: Record<number, number> = { 12: 0x08, 13: 0x00, 14: 0x45, 16: 0, 17: 82, 22: 64, 23: 17 };
  return fixed[i] ?? i & 0xff;
});

/** IPv6 over Ethernet, a VLAN tag, and a runt a device drops: the capture seeds' variety. */
export const SEED_FRAMES: readonly Uint8Array[] = [
  UDP_FRAME,
  Uint8Array.from({ length: 74 }, (_, i) => (i === 12 ? 0x86 : i === 13 ? 0xdd : i === 14 ? 0x60 : i === 20 ? 6 : i & 0x7f)),
  Uint8Array.from({ length: 64 }, (_, i) => (i === 12 ? 0x81 : i === 14 ? 0 : i === 15 ? 5 : i === 16 ? 0x08 : i === 18 ? 0x45 : i & 0x3f)),
  Uint8Array.from({ length: 10 }, (_, i) => i),
];
