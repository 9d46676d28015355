import { ERRNO } from '../errors/errno.js';

/** Bits of `nf_conn.status` (enum ip_conntrack_status). */
export const IPS = {
  EXPECTED: 1 << 0,
  SEEN_REPLY: 1 << 1,
  ASSURED: 1 << 2,
  CONFIRMED: 1 << 3,
  SRC_NAT: 1 << 4,
  DST_NAT: 1 << 5,
  SEQ_ADJUST: 1 << 6,
  SRC_NAT_DONE: 1 << 7,
  DST_NAT_DONE: 1 << 8,
  DYING: 1 << 9,
  FIXED_TIMEOUT: 1 << 10,
  TEMPLATE: 1 << 11,
  UNTRACKED: 1 << 12,
  HELPER: 1 << 13,
  OFFLOAD: 1 << 14,
  HW_OFFLOAD: 1 << 15,
} as const;

/** The name of a status bit. */
export type StatusName = keyof typeof IPS;

/** SRC_NAT | DST_NAT. */
export const IPS_NAT_MASK = IPS.SRC_NAT | IPS.DST_NAT;
/** Bits only the kernel itself sets; a requested change of them is ignored. */
export const IPS_UNCHANGEABLE_MASK =
  IPS.SRC_NAT_DONE |
  IPS.DST_NAT_DONE |
  IPS_NAT_MASK |
  IPS.EXPECTED |
  IPS.CONFIRMED |
  IPS.DYING |
  IPS.SEQ_ADJUST |
  IPS.TEMPLATE |
  IPS.UNTRACKED |
  IPS.OFFLOAD |
  IPS.HW_OFFLOAD;
/** Bits at and above __IPS_MAX_BIT are never set by a change. */
const IPS_MAX_BIT = 16;

/**
 * The kernel's nf_ct_change_status_common, shared by bpf_ct_set_status, bpf_ct_change_status and
 * ctnetlink: EXPECTED, CONFIRMED and DYING may not differ from what the entry has; SEEN_REPLY and
 * ASSURED may not be cleared; then every changeable bit of `requested` is set (none is cleared).
 * Returns the new status, or -EBUSY.
 */
export function changeStatus(current: number, requested: number): number {
  const differs = (current ^ requested) >>> 0;
  if (differs & (IPS.EXPECTED | IPS.CONFIRMED | IPS.DYING)) return -ERRNO.EBUSY;
  if (differs & IPS.SEEN_REPLY && !(requested & IPS.SEEN_REPLY)) return -ERRNO.EBUSY;
  if (differs & IPS.ASSURED && !(requested & IPS.ASSURED)) return -ERRNO.EBUSY;
  const on = requested & ~IPS_UNCHANGEABLE_MASK & ((1 << IPS_MAX_BIT) - 1);
  return (current | on) >>> 0;
}

/** The names of the bits set in a status, lowest first. */
export function statusNames(status: number): StatusName[] {
  return (Object.keys(IPS) as StatusName[]).filter((n) => status & IPS[n]);
}

/** A status from names (`SEEN_REPLY,ASSURED`, as `conntrack -u` takes them), or the unknown name. */
export function parseStatusNames(text: string): number | { unknown: string } {
  let status = 0;
  for (const raw of text.split(',')) {
    const name = raw.trim().toUpperCase();
    if (name === '') continue;
    if (!(name in IPS)) return { unknown: raw.trim() };
    status |= IPS[name as StatusName];
  }
  return status;
}
