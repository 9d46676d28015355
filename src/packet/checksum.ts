/**
 * The Internet checksum (RFC 1071): ones' complement sum of 16-bit big-endian words. Kept apart
 * from the runtime's bpf_csum_diff (src/helpers/) on purpose: the packet builder is the
 * independent side the differential tests check the runtime against.
 */

/** Ones' complement sum of `bytes` (odd length padded with a zero byte), added to `initial`, folded to 16 bits. */
export function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum field value: the complement of the sum. */
export function internetChecksum(bytes: Uint8Array, initial = 0): number {
  return ~onesComplementSum(bytes, initial) & 0xffff;
}

/** Sum of the IPv4 pseudo header used by TCP and UDP checksums. */
export function ipv4PseudoSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  const p = new Uint8Array(12);
  p.set(src, 0);
  p.set(dst, 4);
  p[9] = protocol;
  p[10] = length >> 8;
  p[11] = length & 0xff;
  return onesComplementSum(p);
}

/** Sum of the IPv6 pseudo header used by TCP, UDP and ICMPv6 checksums. */
export function ipv6PseudoSum(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  const p = new Uint8Array(40);
  p.set(src, 0);
  p.set(dst, 16);
  new DataView(p.buffer).setUint32(32, length);
  p[39] = nextHeader;
  return onesComplementSum(p);
}
