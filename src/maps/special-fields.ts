import { resolveType } from '../btf/query.js';
import { XdpchainError } from '../errors/index.js';
import type { MapSpec } from '../object-spec/map-spec.js';

/** sizeof(struct bpf_spin_lock). */
export const SPIN_LOCK_SIZE = 4;

/**
 * Byte offset of the `struct bpf_spin_lock` in the map's value type, if it has one. The kernel
 * never copies that field to or from user space, and BPF_F_LOCK updates need it. A lock that is
 * not an aligned word inside the value fails the map's creation with EINVAL, as the kernel's
 * BTF check does: every copy of a value would skip a word outside it.
 */
export function spinLockOffset(spec: MapSpec): number | undefined {
  if (!spec.btf || !spec.valueTypeId) return undefined;
  const t = resolveType(spec.btf, spec.valueTypeId);
  if (t?.kind !== 'struct') return undefined;
  for (const m of t.members) {
    const mt = resolveType(spec.btf, m.type);
    if (mt?.kind !== 'struct' || mt.name !== 'bpf_spin_lock') continue;
    if (m.bitOffset % (SPIN_LOCK_SIZE * 8) !== 0 || m.bitOffset / 8 + SPIN_LOCK_SIZE > spec.valueSize) {
      throw new XdpchainError(
        'EINVAL',
        `map ${spec.name}: its struct bpf_spin_lock ${m.name} at bit ${m.bitOffset} is not a ${SPIN_LOCK_SIZE}-byte aligned field inside the ${spec.valueSize}-byte value`,
        { map: spec.name },
      );
    }
    return m.bitOffset / 8;
  }
  return undefined;
}

/** Copy a value as the kernel's copy_map_value does: everything except the spin lock word. */
export function copyValue(dst: Uint8Array, src: Uint8Array, lockOffset: number | undefined): void {
  if (lockOffset === undefined) {
    dst.set(src.subarray(0, dst.length));
    return;
  }
  dst.set(src.subarray(0, lockOffset));
  dst.set(src.subarray(lockOffset + SPIN_LOCK_SIZE, dst.length), lockOffset + SPIN_LOCK_SIZE);
}

/** A value as user space sees it: the lock word reads as zero. */
export function userCopy(value: Uint8Array, lockOffset: number | undefined): Uint8Array {
  const out = value.slice();
  if (lockOffset !== undefined) out.fill(0, lockOffset, lockOffset + SPIN_LOCK_SIZE);
  return out;
}
