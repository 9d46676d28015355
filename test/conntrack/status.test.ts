import { describe, expect, it } from 'vitest';
import { changeStatus, IPS, parseStatusNames, statusNames } from '../../src/conntrack/status.js';

describe('status changes (nf_ct_change_status_common)', () => {
  it.each([
    ['EXPECTED may not appear', 0, IPS.EXPECTED, -16],
    ['CONFIRMED may not appear', 0, IPS.CONFIRMED, -16],
    ['CONFIRMED may not go', IPS.CONFIRMED, 0, -16],
    ['DYING may not differ', IPS.CONFIRMED, IPS.CONFIRMED | IPS.DYING, -16],
    ['SEEN_REPLY may not be cleared', IPS.SEEN_REPLY, 0, -16],
    ['ASSURED may not be cleared', IPS.ASSURED, 0, -16],
    ['changeable bits are set', 0, IPS.SEEN_REPLY | IPS.ASSURED | IPS.FIXED_TIMEOUT | IPS.HELPER, 0x2406],
    ['kernel-only bits and bits from 16 are ignored', 0, IPS.SRC_NAT | IPS.TEMPLATE | IPS.OFFLOAD | 0x10000, 0],
    ['nothing is cleared', IPS.CONFIRMED | IPS.FIXED_TIMEOUT, IPS.CONFIRMED, IPS.CONFIRMED | IPS.FIXED_TIMEOUT],
  ])('%s', (_what, current, requested, result) => {
    expect(changeStatus(current, requested)).toBe(result);
  });

  it('names bits both ways', () => {
    expect(statusNames(0x1a8)).toEqual(['CONFIRMED', 'DST_NAT', 'SRC_NAT_DONE', 'DST_NAT_DONE']);
    expect(parseStatusNames('seen_reply, ASSURED')).toBe(6);
    expect(parseStatusNames('SEEN_REPLY,BOGUS')).toEqual({ unknown: 'BOGUS' });
  });
});
