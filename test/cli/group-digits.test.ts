/** Thousands grouping for reports, written as toLocaleString('en-US') writes integers, without loading ICU. */
import { describe, expect, it } from 'vitest';
import { groupDigits } from '../../src/cli/output.js';

describe('groupDigits', () => {
  it("groups integers as toLocaleString('en-US') does, and rounds others as Math.round", () => {
    const values = [0, 1, 12, 999, 1000, 12_345, 474_000, 1_000_000, 123_456_789, 2 ** 53 - 1, -1, -999, -1000, -1_234_567];
    for (const v of values) expect(groupDigits(v)).toBe(v.toLocaleString('en-US'));
    expect(groupDigits(1234.5)).toBe('1,235');
    expect(groupDigits(-0.2)).toBe('0');
  });
});
