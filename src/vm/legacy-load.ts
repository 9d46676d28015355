import type { AddressSpace } from './address-space.js';
import type { RunState } from './run-state.js';

export const NO_LEGACY_PACKET = 'legacy packet access (ld_abs/ld_ind) needs a socket-buffer context, and this run has none';

/**
 * BPF_LD ABS/IND: a big-endian load from the run host's legacy packet. Returns the value,
 * `undefined` when the access is out of bounds (the kernel then ends the program with r0 = 0),
 * or `null` when the run has no legacy packet at all.
 */
export function legacyPacketLoad(space: AddressSpace, state: RunState, opcode: number, k: number, index: number): number | undefined | null {
  const host = state.host as { legacyPacket?: { addr: number; len: number } } | undefined;
  const pkt = host && typeof host === 'object' ? host.legacyPacket : undefined;
  if (!pkt) return null;
  const size = (opcode & 0x18) === 0x10 ? 1 : (opcode & 0x18) === 0x08 ? 2 : 4;
  const offset = (opcode >= 0x40 ? (index | 0) + k : k) | 0;
  if (offset < 0 || offset + size > pkt.len) return undefined;
  const a = pkt.addr + offset;
  return size === 1 ? space.u8[a] : size === 2 ? space.dv.getUint16(a, false) : space.dv.getInt32(a, false);
}
