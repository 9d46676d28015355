/**
 * Maps and packets above 2 GiB, through a runtime: compiled inline lookups and updates and the
 * interpreter's helpers must find values there, and packet bounds checks must compare unsigned.
 * A 2.5 GiB filler that nothing touches pushes them up without costing memory.
 */
import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import { ArrayMap } from '../../src/maps/array.js';
import { createMap } from '../../src/maps/create.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { MapSpec } from '../../src/object-spec/map-spec.js';
import { ENGINES } from '../../src/vm/engines.js';
import type { EngineName } from '../../src/vm/engine.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const VALUE = 0x1122334455667788n;
const mapSpec = (name: string, type: MapSpec['type'], keySize: number, valueSize: number, maxEntries: number): MapSpec => ({
  name,
  type,
  keySize,
  valueSize,
  maxEntries,
  flags: 0,
  pinning: 'none',
  contents: [],
  frozen: false,
  keyTypeId: 0,
  valueTypeId: 0,
});

const i = (x: Instruction): Instruction => x;
const mapRef = (dst: number): Instruction => ({ kind: 'ld_imm64', dst, pseudo: PseudoLd.MAP_FD, imm: 0n });
const stackPtr = (dst: number, off: number): Instruction[] => [
  i({ kind: 'alu', bits: 64, op: 'mov', dst, src: { reg: 10 } }),
  i({ kind: 'alu', bits: 64, op: 'add', dst, src: { imm: off } }),
];

type Step = Instruction | { label: string } | { jump: 'jeq' | 'jne' | 'jgt' | 'ja'; dst: number; src: { imm: number } | { reg: number }; to: string };

/** Instructions with jumps to labels resolved to slot offsets (ld_imm64 takes two slots). */
function assemble(steps: Step[]): Instruction[] {
  const slotsOf = (x: Step): number => ('label' in x ? 0 : 'kind' in x && x.kind === 'ld_imm64' ? 2 : 1);
  const at = new Map<string, number>();
  steps.reduce((slot, x) => ('label' in x ? (at.set(x.label, slot), slot) : slot + slotsOf(x)), 0);
  let slot = 0;
  const out: Instruction[] = [];
  for (const x of steps) {
    if ('label' in x) continue;
    slot += slotsOf(x);
    out.push('jump' in x ? { kind: 'jump', bits: 64, cond: x.jump, dst: x.dst, src: x.src, offset: at.get(x.to)! - slot } : x);
  }
  return out;
}

/**
 * values[3] = VALUE through the looked-up pointer; values[1] = that value by bpf_map_update_elem;
 * r0 = (hashed[5] << 8) + (packet byte 12 << 1) + (data >> 31), after the packet's bounds check.
 */
function program(): Instruction[] {
  return assemble([
    { kind: 'alu', bits: 64, op: 'mov', dst: 6, src: { reg: 1 } },
    { kind: 'store', size: 4, base: 10, off: -4, value: { imm: 3 } },
    mapRef(1),
    ...stackPtr(2, -4),
    { kind: 'call', target: 'helper', imm: 1 },
    { jump: 'jeq', dst: 0, src: { imm: 0 }, to: 'fail' },
    { kind: 'ld_imm64', dst: 1, pseudo: 0, imm: VALUE },
    { kind: 'store', size: 8, base: 0, off: 0, value: { reg: 1 } },
    { kind: 'load', size: 8, signed: false, dst: 7, base: 0, off: 0 },
    { kind: 'store', size: 8, base: 10, off: -16, value: { reg: 7 } },
    { kind: 'store', size: 4, base: 10, off: -4, value: { imm: 1 } },
    mapRef(1),
    ...stackPtr(2, -4),
    ...stackPtr(3, -16),
    { kind: 'alu', bits: 64, op: 'mov', dst: 4, src: { imm: 0 } },
    { kind: 'call', target: 'helper', imm: 2 },
    { jump: 'jne', dst: 0, src: { imm: 0 }, to: 'fail' },
    { kind: 'store', size: 4, base: 10, off: -4, value: { imm: 5 } },
    mapRef(1),
    ...stackPtr(2, -4),
    { kind: 'call', target: 'helper', imm: 1 },
    { jump: 'jeq', dst: 0, src: { imm: 0 }, to: 'fail' },
    { kind: 'load', size: 4, signed: false, dst: 8, base: 0, off: 0 },
    { kind: 'load', size: 4, signed: false, dst: 2, base: 6, off: 0 },
    { kind: 'load', size: 4, signed: false, dst: 3, base: 6, off: 4 },
    { kind: 'alu', bits: 64, op: 'mov', dst: 4, src: { reg: 2 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 4, src: { imm: 14 } },
    { jump: 'jgt', dst: 4, src: { reg: 3 }, to: 'fail' },
    { kind: 'load', size: 1, signed: false, dst: 0, base: 2, off: 12 },
    { kind: 'alu', bits: 64, op: 'lsh', dst: 0, src: { imm: 1 } },
    { kind: 'alu', bits: 64, op: 'rsh', dst: 2, src: { imm: 31 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 0, src: { reg: 2 } },
    { kind: 'alu', bits: 64, op: 'lsh', dst: 8, src: { imm: 8 } },
    { kind: 'alu', bits: 64, op: 'add', dst: 0, src: { reg: 8 } },
    { kind: 'exit' },
    { label: 'fail' },
    { kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { imm: 0xdead } },
    { kind: 'exit' },
  ]);
}

describe('maps and packets above 2 GiB', () => {
  it.each(Object.keys(ENGINES))('are looked up, updated and bounds-checked on %s', (engine) => {
    const rt = new Runtime({ engine: engine as EngineName, possibleCpus: 1, statsTiming: false });
    rt.space.allocPrivate(2.5 * GiB, 'filler');
    const insns = program();
    const slots = insns.flatMap((x, at) =>
      x.kind === 'ld_imm64' && x.pseudo === PseudoLd.MAP_FD ? [insns.slice(0, at).reduce((n, y) => n + (y.kind === 'ld_imm64' ? 2 : 1), 0)] : [],
    );
    const names = ['values', 'values', 'hashed'];
    const spec = {
      ...xdpProgramSpec(
        'high',
        insns.flatMap((x) => encodeInstruction(x)),
      ),
      references: slots.map((slot, k) => ({ slot, kind: 'map' as const, map: names[k] })),
    };
    const maps = new Map([
      ['values', mapSpec('values', 'array', 4, 8, 4)],
      ['hashed', mapSpec('hashed', 'hash', 4, 4, 16)],
    ]);
    const prog = loadProgramSpec(rt, spec, maps);
    const [values, hashed] = rt.maps.all();
    hashed.update(new Uint8Array([5, 0, 0, 0]), new Uint8Array([0x42, 0, 0, 0]));
    expect((values as ArrayMap).valueAddress(0)).toBeGreaterThan(2 ** 31);
    // One run, then the batch loop (repeat), whose context list holds addresses above 2 GiB too.
    for (const repeat of [1, 3]) expect(rt.testRun(prog, { data: ipv4UdpFrame(), repeat }).retval).toBe((0x42 << 8) + (0x08 << 1) + 1);
    const u64 = (k: number) => new DataView(values.lookup(new Uint8Array([k, 0, 0, 0]))!.buffer).getBigUint64(0, true);
    expect([u64(1), u64(3), u64(0)]).toEqual([VALUE, VALUE, 0n]);
  });

  it('refuses a map that does not fit, naming the map, the bytes it needs, the limit and the option', () => {
    const rt = new Runtime({ engine: 'interp', possibleCpus: 1, maxDataBytes: 256 * MiB });
    // Katran's ch_rings: 512 * 65537 u32 values, each rounded up to 8 bytes.
    const chRings = mapSpec('ch_rings', 'array', 4, 4, 512 * 65537);
    const create = () => createMap(chRings, { space: rt.space, possibleCpus: 1, registry: rt.maps });
    expect(create).toThrow(
      /^map ch_rings \(array\) does not fit: out of memory: map ch_rings values needs 268439552 bytes, but the address space has \d+ of its 268435456-byte limit free \(raise the limit with --max-memory <size> \(maxDataBytes in RuntimeOptions\), up to 4026531840\)$/,
    );
    try {
      create();
    } catch (e) {
      expect((e as { errno: string; detail: Record<string, unknown> }).errno).toBe('ENOMEM');
      expect((e as { detail: Record<string, unknown> }).detail).toMatchObject({ map: 'ch_rings', bytes: 268439552, limit: 268435456 });
    }
  });

  it('creates large maps at the default limit and uses them: an array of 33.5M u32, hashes of 1M entries', () => {
    const rt = new Runtime({ engine: 'interp', possibleCpus: 1 });
    const specs = [
      mapSpec('ch_rings', 'array', 4, 4, 512 * 65537),
      mapSpec('big', 'array', 4, 4, 33554432),
      mapSpec('flows', 'hash', 16, 40, 1 << 20),
      mapSpec('lru', 'lru_hash', 16, 40, 1 << 20),
    ];
    const maps = specs.map((s) => createMap(s, { space: rt.space, possibleCpus: 1, registry: rt.maps }));
    const lru = maps[3];
    for (let k = 0; k < 3; k++) lru.update(new Uint8Array(16).fill(k), new Uint8Array(40).fill(k + 1));
    expect(lru.lookup(new Uint8Array(16).fill(2))![0]).toBe(3);
    for (const m of maps) m.free();
  });
});
