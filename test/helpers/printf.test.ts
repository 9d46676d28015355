import { describe, expect, it } from 'vitest';
import { formatPrintf } from '../../src/helpers/printf.js';

const args = (...values: bigint[]) => ({
  values,
  readString: (a: bigint) => (a === 0x1000n ? 'eth0' : undefined),
  readBytes: (a: bigint, n: number) => (a === 0x2000n ? new Uint8Array([10, 0, 0, 1, ...new Array(n - 4).fill(0)]) : undefined),
});

describe('bpf_trace_printk format dialect', () => {
  it('formats integers by length modifier', () => {
    expect(formatPrintf('%d %u %x', args(0xffffffffn, 0xffffffffn, 255n))).toBe('-1 4294967295 ff');
    expect(formatPrintf('%lld %llx', args(0xffffffffffffffffn, 0x1234567890n))).toBe('-1 1234567890');
    expect(formatPrintf('[%5d|%-4d|%04x]', args(42n, 7n, 0xabn))).toBe('[   42|7   |00ab]');
  });

  it('formats strings, chars, IPv4 and %%', () => {
    expect(formatPrintf('dev %s %c 100%%', args(0x1000n, 65n))).toBe('dev eth0 A 100%');
    expect(formatPrintf('%pI4', args(0x2000n))).toBe('10.0.0.1');
  });

  it('refuses what the kernel refuses', () => {
    expect(formatPrintf('%d %d %d %d', args(1n, 2n, 3n, 4n))).toBeUndefined();
    expect(formatPrintf('%.3d', args(1n))).toBeUndefined();
    expect(formatPrintf('%hd', args(1n))).toBeUndefined();
    expect(formatPrintf('%q', args(1n))).toBeUndefined();
    expect(formatPrintf('bad\x01char', args())).toBeUndefined();
  });
});
