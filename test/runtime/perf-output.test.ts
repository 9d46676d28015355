/** bpf_perf_event_output: an engine that refuses outputs inline must give the helper's errors and records. */
import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import type { PerfEventArrayMap } from '../../src/maps/perf-event-array.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { MapSpec } from '../../src/object-spec/map-spec.js';
import { ENGINES } from '../../src/vm/engines.js';
import type { EngineName } from '../../src/vm/engine.js';
import { XDP_MAX_LINEAR } from '../../src/xdp/constants.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

const events: MapSpec = {
  name: 'events',
  type: 'perf_event_array',
  keySize: 4,
  valueSize: 4,
  maxEntries: 4,
  flags: 0,
  pinning: 'none',
  contents: [],
  frozen: false,
  keyTypeId: 0,
  valueTypeId: 0,
};

/** r0 = bpf_perf_event_output(ctx, &events, flags, stack sample of 8 bytes, 8). */
function program(flags: bigint) {
  const i: Instruction[] = [
    { kind: 'store', size: 8, base: 10, off: -8, value: { imm: 0x11223344 } },
    { kind: 'ld_imm64', dst: 2, pseudo: PseudoLd.MAP_FD, imm: 0n },
    { kind: 'ld_imm64', dst: 3, pseudo: 0, imm: flags },
    { kind: 'alu', bits: 64, op: 'mov', dst: 4, src: { reg: 10 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 4, src: { imm: -8 } },
    { kind: 'alu', bits: 64, op: 'mov', dst: 5, src: { imm: 8 } },
    { kind: 'call', target: 'helper', imm: 25 },
    { kind: 'exit' },
  ];
  return {
    ...xdpProgramSpec(
      'out',
      i.flatMap((x) => encodeInstruction(x)),
    ),
    references: [{ slot: 1, kind: 'map' as const, map: 'events' }],
  };
}

describe('perf event output', () => {
  it('gives the same errors and records on every engine', () => {
    const CURRENT = 0xffffffffn;
    const flagsCases = [
      CURRENT,
      0n,
      1n,
      3n,
      4n,
      9n,
      0xfffffffen,
      CURRENT | (14n << 32n),
      CURRENT | (0xfffffn << 32n),
      CURRENT | (1n << 52n),
      1n << 60n,
      1n | (60n << 32n),
    ];
    const run = (engine: EngineName, flags: bigint, opened: 'none' | 'cpu1' | 'all', size: number) => {
      const rt = new Runtime({ engine, possibleCpus: 2, cpu: 1, statsTiming: false });
      const prog = loadProgramSpec(rt, program(flags), new Map([['events', events]]));
      const map = rt.maps.all()[0] as PerfEventArrayMap;
      if (opened === 'cpu1') map.open(1);
      if (opened === 'all') for (let i = 0; i < 4; i++) map.open(i, 1);
      const data = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
      const retvals = [rt.testRun(prog, { data }).retval, rt.testRun(prog, { data, repeat: 3 }).retval];
      const records = [0, 1, 2, 3].flatMap(
        (i) =>
          map
            .get(i)
            ?.drain()
            .map((r) => ({ slot: i, cpu: r.cpu, data: [...r.data] })) ?? [],
      );
      return { retvals, records };
    };
    let outputs = 0;
    for (const size of [60, XDP_MAX_LINEAR + 100]) {
      for (const flags of flagsCases) {
        for (const opened of ['none', 'cpu1', 'all'] as const) {
          const reference = run('interp', flags, opened, size);
          outputs += reference.records.length;
          for (const engine of Object.keys(ENGINES) as EngineName[]) {
            expect({ size, flags, opened, engine, ...run(engine, flags, opened, size) }).toEqual({ size, flags, opened, engine, ...reference });
          }
        }
      }
    }
    expect(outputs).toBeGreaterThan(20);
  });
});
