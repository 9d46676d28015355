import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDataFile } from '../../src/conformance/data-file.js';
import { runVector, runVectors } from '../../src/conformance/runner.js';
import { createInterpreter } from '../../src/vm/interp/index.js';

const root = new URL('../../../shared/conformance/', import.meta.url).pathname;
const present = existsSync(root);

describe.skipIf(!present)(`ISA conformance vectors (${root})`, () => {
  it('passes all 228 positive vectors on the interpreter', () => {
    const results = runVectors([`${root}tests`], createInterpreter);
    expect(results.filter((r) => !r.ok).map((r) => `${r.file}: ${r.reason}`)).toEqual([]);
    expect(results).toHaveLength(228);
  });

  it('accepts none of the 60 negative vectors, each with a reason', () => {
    const results = runVectors([`${root}negative`], createInterpreter);
    expect(results).toHaveLength(60);
    expect(results.filter((r) => r.ok)).toEqual([]);
    for (const r of results) expect(r.reason, r.file).toMatch(/\w{4,}/);
    expect(results.filter((r) => r.refused).length).toBeGreaterThanOrEqual(55);
  });
});

describe('conformance runner', () => {
  it('reads raw sections as 64-bit words or single bytes', () => {
    const words = parseDataFile('-- raw\n0x00000001000000b7\n0x0000000000000095\n-- result\n1');
    const bytes = parseDataFile('-- raw\nb7 00 00 00 01 00 00 00\n95 00 00 00 00 00 00 00\n-- result\n1');
    expect(words.raw).toEqual(bytes.raw);
  });

  it('refuses unknown sections and explains mismatches, faults and missing expectations', () => {
    expect(() => parseDataFile('-- asm\nexit\n-- bogus\n')).toThrow(/unknown section "-- bogus"/);
    expect(runVector('x.data', '-- asm\nmov %r0, 2\nexit\n-- result\n0x3', createInterpreter).reason).toBe('r0 is 0x2, expected 0x3');
    expect(runVector('x.data', '-- asm\nldxw %r0, [%r1+0]\nexit\n-- result\n0', createInterpreter).reason).toMatch(
      /^fault: .*instruction 0: read of 4 bytes: address 0x0 is a NULL pointer/,
    );
    expect(runVector('x.data', '-- asm\nexit\n', createInterpreter).reason).toMatch(/neither a result nor an error/);
    expect(runVector('x.data', '-- asm\nmov %r0, 1\nexit\n-- error\nboom', createInterpreter).reason).toMatch(
      /expected a refusal \(boom\) but the program ran/,
    );
  });

  it('passes memory in r1 and its length in r2', () => {
    expect(runVector('m.data', '-- asm\nldxb %r0, [%r1+1]\nadd %r0, %r2\nexit\n-- mem\n00 07 00\n-- result\n10', createInterpreter).ok).toBe(true);
  });
});
