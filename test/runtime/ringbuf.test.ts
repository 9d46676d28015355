/** Ring buffer reserve and query: an engine that does them inline must reserve, refuse and report as the map does. */
import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import type { RingBufMap } from '../../src/maps/ringbuf.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { MapSpec } from '../../src/object-spec/map-spec.js';
import { ENGINES } from '../../src/vm/engines.js';
import type { EngineName } from '../../src/vm/engine.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

const ring: MapSpec = {
  name: 'events',
  type: 'ringbuf',
  keySize: 0,
  valueSize: 0,
  maxEntries: 4096,
  flags: 0,
  pinning: 'none',
  contents: [],
  frozen: false,
  keyTypeId: 0,
  valueTypeId: 0,
};

/**
 * From the packet: u16 size at 0, u8 reserve flags at 2, u8 "discard" at 3, u8 query at 4, u8
 * "size is 2^32 + size" at 5. Reserve; fill 8 bytes when the size allows; submit or discard;
 * return query · 2 + (reserved ? 1 : 0).
 */
function program() {
  const mapLoad: Instruction = { kind: 'ld_imm64', dst: 1, pseudo: PseudoLd.MAP_FD, imm: 0n };
  const i: Instruction[] = [
    { kind: 'load', size: 4, signed: false, dst: 6, base: 1, off: 0 },
    { kind: 'load', size: 2, signed: false, dst: 2, base: 6, off: 0 },
    { kind: 'load', size: 1, signed: false, dst: 3, base: 6, off: 5 },
    { kind: 'alu', bits: 64, op: 'lsh', dst: 3, src: { imm: 32 } },
    { kind: 'alu', bits: 64, op: 'or', dst: 2, src: { reg: 3 } },
    { kind: 'load', size: 1, signed: false, dst: 3, base: 6, off: 2 },
    { kind: 'load', size: 2, signed: false, dst: 8, base: 6, off: 0 },
    mapLoad,
    { kind: 'call', target: 'helper', imm: 131 },
    { kind: 'alu', bits: 64, op: 'mov', dst: 7, src: { reg: 0 } },
    { kind: 'jump', bits: 64, cond: 'jeq', dst: 7, src: { imm: 0 }, offset: 9 },
    { kind: 'jump', bits: 64, cond: 'jlt', dst: 8, src: { imm: 8 }, offset: 1 },
    { kind: 'store', size: 8, base: 7, off: 0, value: { imm: 0x5a5a } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 1, src: { reg: 7 } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 2, src: { imm: 0 } },
    { kind: 'load', size: 1, signed: false, dst: 3, base: 6, off: 3 },
    { kind: 'jump', bits: 64, cond: 'jne', dst: 3, src: { imm: 0 }, offset: 2 },
    { kind: 'call', target: 'helper', imm: 132 },
    { kind: 'jump', bits: 64, cond: 'ja', dst: 0, src: { imm: 0 }, offset: 1 },
    { kind: 'call', target: 'helper', imm: 133 },
    { kind: 'load', size: 1, signed: false, dst: 2, base: 6, off: 4 },
    mapLoad,
    { kind: 'call', target: 'helper', imm: 134 },
    { kind: 'alu', bits: 64, op: 'lsh', dst: 0, src: { imm: 1 } },
    { kind: 'jump', bits: 64, cond: 'jeq', dst: 7, src: { imm: 0 }, offset: 1 },
    { kind: 'alu', bits: 64, op: 'or', dst: 0, src: { imm: 1 } },
    { kind: 'exit' },
  ];
  const refs: { slot: number; kind: 'map'; map: string }[] = [];
  let slot = 0;
  for (const x of i) {
    if (x === mapLoad) refs.push({ slot, kind: 'map', map: 'events' });
    slot += x.kind === 'ld_imm64' ? 2 : 1;
  }
  return {
    ...xdpProgramSpec(
      'ring',
      i.flatMap((x) => encodeInstruction(x)),
    ),
    references: refs,
  };
}

describe('ring buffer reserve and query', () => {
  it('reserve, refuse (flags, sizes, a full ring) and answer queries as the map does, on every engine', () => {
    let seed = 5;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    const frames = Array.from({ length: 300 }, () => {
      const size = [0, 1, 7, 8, 100, 500, 1000, 4088, 4089, 5000][random(10)];
      return Uint8Array.from([
        size & 0xff,
        size >> 8,
        random(8) === 0 ? 1 : 0,
        random(3) === 0 ? 1 : 0,
        random(6),
        random(12) === 0 ? 1 : 0,
        ...new Uint8Array(58),
      ]);
    });
    const run = (engine: EngineName) => {
      const rt = new Runtime({ engine, possibleCpus: 1, statsTiming: false });
      const prog = loadProgramSpec(rt, program(), new Map([['events', ring]]));
      const rb = rt.maps.all()[0] as RingBufMap;
      const seen: (number | string)[] = [];
      frames.forEach((data, n) => {
        seen.push(rt.testRun(prog, { data, repeat: 1 + (n % 3) }).retval);
        if (n % 7 === 0) seen.push(...rb.consume().map((r) => `${r.length}:${r[0]}`));
      });
      // The ring's memory itself: headers (length, BUSY/DISCARD bits, page offset) and data.
      const { data, size } = rb.ringLayout();
      seen.push([...rt.space.u8.subarray(data, data + size)].join(','));
      return seen;
    };
    const reference = run('interp');
    expect(reference.filter((r) => typeof r === 'number' && r & 1).length).toBeGreaterThan(50);
    expect(reference.filter((r) => typeof r === 'number' && !(r & 1)).length).toBeGreaterThan(50);
    for (const engine of Object.keys(ENGINES) as EngineName[]) expect(run(engine)).toEqual(reference);
  });
});
