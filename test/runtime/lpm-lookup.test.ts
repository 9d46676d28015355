/** LPM trie lookups from programs: an engine that scans prefixes inline must find what the trie finds. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import type { LpmTrieMap } from '../../src/maps/lpm-trie.js';
import { ipv4UdpFrame, ipv6UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { MapFlag, type MapSpec } from '../../src/object-spec/map-spec.js';
import { ENGINES } from '../../src/vm/engines.js';
import type { EngineName } from '../../src/vm/engine.js';
import { loadProgramSpec, lookupReturningValue, xdpProgramSpec } from './specs.js';

const trieSpec = (keySize: number): MapSpec => ({
  name: 'prefixes',
  type: 'lpm_trie',
  keySize,
  valueSize: 4,
  maxEntries: 200,
  flags: MapFlag.NO_PREALLOC,
  pinning: 'none',
  contents: [],
  frozen: false,
  keyTypeId: 0,
  valueTypeId: 0,
});

/** Copy the packet's first `keySize` bytes to the stack as the key; return the value's u32, or 0xdead when none. */
function program(keySize: number) {
  const copy: Instruction[] = Array.from({ length: keySize }, (_, i): Instruction[] => [
    { kind: 'load', size: 1, signed: false, dst: 3, base: 6, off: i },
    { kind: 'store', size: 1, base: 10, off: -32 + i, value: { reg: 3 } },
  ]).flat();
  const i: Instruction[] = [
    { kind: 'load', size: 4, signed: false, dst: 6, base: 1, off: 0 },
    ...copy,
    { kind: 'alu', bits: 64, op: 'mov', dst: 2, src: { reg: 10 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 2, src: { imm: -32 } },
    ...lookupReturningValue(),
  ];
  const slot = copy.length + 3;
  return {
    ...xdpProgramSpec(
      'lookup',
      i.flatMap((x) => encodeInstruction(x)),
    ),
    references: [{ slot, kind: 'map' as const, map: 'prefixes' }],
  };
}

let seed = 99;
const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
const keyOf = (prefixLength: number, data: number[]) => Uint8Array.from([prefixLength & 0xff, (prefixLength >> 8) & 0xff, 0, 0, ...data]);

describe('LPM lookups from programs', () => {
  it.each([8, 7, 20])("key of %i bytes: every engine finds the trie's longest prefix, small trie or large, after updates and deletes", (keySize) => {
    const bits = (keySize - 4) * 8;
    // Prefixes that share their first bits, so that many cover the probes.
    const prefixes = Array.from({ length: 150 }, () =>
      keyOf(
        random(bits + 1),
        Array.from({ length: keySize - 4 }, (_, b) => (b < 1 ? 0xc0 : random(4) ? 0xa8 : random(256))),
      ),
    );
    const probes = Array.from({ length: 60 }, () =>
      keyOf(
        [0, 1, 7, 8, 9, 16, 31, bits, bits + 5, 0xffff][random(10)],
        Array.from({ length: keySize - 4 }, (_, b) => (b < 1 ? 0xc0 : random(3) ? 0xa8 : random(256))),
      ),
    );
    const run = (engine: EngineName) => {
      const rt = new Runtime({ engine, possibleCpus: 1, statsTiming: false });
      const prog = loadProgramSpec(rt, program(keySize), new Map([['prefixes', trieSpec(keySize)]]));
      const trie = rt.maps.all()[0] as LpmTrieMap;
      const seen: number[] = [];
      const probe = () => {
        for (const p of probes) seen.push(rt.testRun(prog, { data: Uint8Array.from([...p, ...new Uint8Array(64)]) }).retval);
      };
      probe();
      for (const [n, k] of prefixes.entries()) {
        trie.update(k, Uint8Array.from([n, 1, 0, 0]));
        if (n % 10 === 0 || n === 63 || n === 64 || n === 65) probe();
      }
      for (const [n, k] of prefixes.entries()) {
        if (n % 2 === 0) continue;
        try {
          trie.delete(k);
        } catch {
          // A prefix given twice was stored once.
        }
        if (n % 15 === 1) probe();
      }
      return seen;
    };
    const reference = run('interp');
    expect(reference.filter((r) => r !== 0xdead).length).toBeGreaterThan(100);
    expect(reference.filter((r) => r === 0xdead).length).toBeGreaterThan(20);
    for (const engine of Object.keys(ENGINES) as EngineName[]) expect(run(engine)).toEqual(reference);
  });

  it("looks up the map a joined block's r1 holds (lpm_filter: one call for IPv4 and IPv6)", () => {
    const spec = readCollectionSpec(new Uint8Array(readFileSync(new URL('../../progs/build/lpm_filter.o', import.meta.url))));
    const run = (engine: EngineName) => {
      const rt = new Runtime({ engine, possibleCpus: 1, statsTiming: false });
      const coll = rt.loadCollection(spec);
      const rule = (id: number, action: number) => Uint8Array.from([action, 0, 0, 0, id, 0, 0, 0]);
      coll.map('prefixes_v4').update(keyOf(8, [10, 0, 0, 0]), rule(1, 1));
      coll.map('prefixes_v6').update(keyOf(16, [0xfd, 0x00, ...new Array(14).fill(0)]), rule(2, 3));
      return [ipv4UdpFrame(), ipv6UdpFrame()].map((data) => rt.testRun(coll.program('xdp_lpm_filter'), { data, repeat: 3 }).retval);
    };
    const reference = run('interp');
    expect(reference).toEqual([1, 3]);
    for (const engine of Object.keys(ENGINES) as EngineName[]) expect(run(engine)).toEqual(reference);
  });
});
