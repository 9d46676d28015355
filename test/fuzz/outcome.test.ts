import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { MalformedInputError, VmFault, XdpchainError } from '../../src/errors/index.js';
import { classify, CliInternalError } from '../../tools/fuzz/outcome.js';
import { runInput } from '../../tools/fuzz/campaign.js';
import type { OpenTarget } from '../../tools/fuzz/target.js';

const caught = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('nothing was thrown');
};

describe('fuzz outcomes', () => {
  it('typed errors count by errno and first words, with numbers folded', () => {
    expect(classify(new MalformedInputError('fuzz.o: section header 3', 'runs past the end', 64))).toEqual({
      kind: 'typed',
      key: 'EINVAL fuzz.o: section header N at offset',
    });
    expect(classify(new VmFault('budget', { insn: 7 }, 'ran out of budget')).kind).toBe('typed');
    expect(classify(new XdpchainError('ENOENT', 'no program named x')).kind).toBe('typed');
  });

  it('raw exceptions, CLI internal errors and readCollectionSpec safety net are internal', () => {
    expect(classify(new TypeError("Cannot read properties of undefined (reading 'x')")).kind).toBe('internal');
    expect(classify(new RangeError('Offset is outside the bounds of the DataView')).kind).toBe('internal');
    expect(classify('a string').kind).toBe('internal');
    expect(
      classify(new CliInternalError('xdpchain: internal error (please report): TypeError: x is not iterable\n    at f (file:///r/src/state/session.js:1:2)')),
    ).toMatchObject({ kind: 'internal', key: 'CliInternalError: TypeError: x is at f (src/state/session.js:1:2)' });
    const net = new MalformedInputError('fuzz.o', 'could not be parsed: boom', undefined, { unexpected: true });
    expect(classify(net).kind).toBe('internal');
    // A file that parses cleanly or fails properly never reaches the net.
    expect(classify(caught(() => readCollectionSpec(new Uint8Array(8)))).kind).toBe('typed');
  });

  it('an input slower than its budget is internal even when it ends', async () => {
    const slow: OpenTarget = { seeds: [], generate: () => new Uint8Array(0), run: () => new Promise((r) => setTimeout(r, 60)), close: () => undefined };
    expect((await runInput(slow, new Uint8Array(0), 20)).kind).toBe('internal');
    expect((await runInput(slow, new Uint8Array(0), 5_000)).kind).toBe('ok');
  });
});
