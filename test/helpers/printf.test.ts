import { describe, expect, it } from 'vitest';
import { formatPrintf } from '../../src/helpers/printf.js';

const args = (...values: bigint[]) => ({
  lo: (i: number) => Number((values[i] ?? 0n) & 0xffffffffn),
  hi: (i: number) => Number((values[i] ?? 0n) >> 32n),
  readString: (lo: number, hi: number) => (lo === 0x1000 && hi === 0 ? 'eth0' : undefined),
  readBytes: (lo: number, hi: number, n: number) => (lo === 0x2000 && hi === 0 ? new Uint8Array([10, 0, 0, 1, ...new Array(n - 4).fill(0)]) : undefined),
});

describe('bpf_trace_printk format dialect', () => {
  it('formats integers by length modifier', () => {
    expect(formatPrintf('%d %u %x', args(0xffffffffn, 0xffffffffn, 255n))).toBe('-1 4294967295 ff');
    expect(formatPrintf('%lld %llx', args(0xffffffffffffffffn, 0x1234567890n))).toBe('-1 1234567890');
    expect(formatPrintf('[%5d|%-4d|%04x]', args(42n, 7n, 0xabn))).toBe('[   42|7   |00ab]');
    // Values past 2^53 and negative 64-bit values, on the BigInt side of the number paths.
    expect(formatPrintf('%llu %lld %+lld', args(0xfffffffffffffffen, 0xffffffff00000000n, 5n))).toBe('18446744073709551614 -4294967296 +5');
    expect(formatPrintf('%llx|%lld|% 05d', args(0x100000000n, 0xffffffff80000000n, 0xfffffff9n))).toBe('100000000|-2147483648|-0007');
    expect(formatPrintf('%p', args(0xabcdef12345n))).toBe('00000abcdef12345');
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
