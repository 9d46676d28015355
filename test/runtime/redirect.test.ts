/** bpf_redirect / bpf_redirect_map: an engine that records the target inline must give the helpers' verdicts and targets. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS } from '../../src/helpers/redirect.js';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import type { XskMap } from '../../src/maps/xskmap.js';
import type { MapSpec } from '../../src/object-spec/map-spec.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { ENGINES } from '../../src/vm/engines.js';
import type { EngineName } from '../../src/vm/engine.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

const spec = readCollectionSpec(new Uint8Array(readFileSync(new URL('../../progs/build/redirect.o', import.meta.url))));
const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
const u64 = (v: bigint): Uint8Array => new Uint8Array(new BigUint64Array([v]).buffer);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

interface Case {
  program: 'xdp_redirect_ifindex' | 'xdp_redirect_devmap' | 'xdp_redirect_cpumap' | 'xdp_redirect_xskmap';
  ifindex?: number;
  redirectFlags?: bigint;
  mapFlags?: bigint;
  /** Slot 0 of the program's map filled. */
  filled?: boolean;
}

function outcome(engine: EngineName, c: Case, repeat: number) {
  const rt = new Runtime({ engine, possibleCpus: 1, statsTiming: false });
  const coll = rt.loadCollection(spec);
  coll.map('.data').update(u32(0), concat(u32(c.ifindex ?? 1), u32(0), u64(c.mapFlags ?? 2n)));
  coll.map('.bss').update(u32(0), concat(u64(c.redirectFlags ?? 0n), u64(0n)));
  if (c.filled) {
    if (c.program === 'xdp_redirect_devmap') coll.map('tx_ports').update(u32(0), u32(1));
    if (c.program === 'xdp_redirect_cpumap') coll.map('cpu_queues').update(u32(0), concat(u32(64), u32(0)));
    if (c.program === 'xdp_redirect_xskmap') (coll.map('xsk_sockets') as XskMap).attach(0);
  }
  const out = rt.testRun(coll.program(c.program), { data: ipv4UdpFrame(), repeat, ctx: { ingressIfindex: 1 } });
  return { retval: out.retval, redirect: out.redirect, bss: [...coll.map('.bss').lookup(u32(0))!] };
}

describe('redirect helpers', () => {
  it('give the same verdicts and targets on every engine, in single and batched runs', () => {
    const cases: Case[] = [
      { program: 'xdp_redirect_ifindex' },
      { program: 'xdp_redirect_ifindex', ifindex: 77 },
      { program: 'xdp_redirect_ifindex', redirectFlags: 1n },
      { program: 'xdp_redirect_ifindex', redirectFlags: 1n << 32n },
    ];
    for (const program of ['xdp_redirect_devmap', 'xdp_redirect_cpumap', 'xdp_redirect_xskmap'] as const) {
      for (const filled of [false, true]) {
        for (const mapFlags of [0n, 1n, 2n, 3n, 4n, BigInt(BPF_F_BROADCAST), BigInt(BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS | 2), 1n << 32n]) {
          cases.push({ program, filled, mapFlags });
        }
      }
    }
    for (const c of cases) {
      for (const repeat of [1, 300]) {
        const reference = outcome('interp', c, repeat);
        for (const engine of Object.keys(ENGINES) as EngineName[])
          expect({ c, repeat, engine, ...outcome(engine, c, repeat) }).toEqual({ c, repeat, engine, ...reference });
      }
    }
  });

  it('take any key, in range or not, as the helper does', () => {
    const devmap: MapSpec = {
      name: 'ports',
      type: 'devmap',
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
    /** r0 = bpf_redirect_map(&ports, key, flags), the key built as hi·2^32 + lo. */
    const program = (lo: number, hi: number, flags: number) => {
      const i: Instruction[] = [
        { kind: 'ld_imm64', dst: 2, pseudo: 0, imm: (BigInt(hi) << 32n) | BigInt(lo >>> 0) },
        { kind: 'ld_imm64', dst: 1, pseudo: PseudoLd.MAP_FD, imm: 0n },
        { kind: 'alu', bits: 64, op: 'mov', dst: 3, src: { imm: flags } },
        { kind: 'call', target: 'helper', imm: 51 },
        { kind: 'exit' },
      ];
      return {
        ...xdpProgramSpec(
          'steer',
          i.flatMap((x) => encodeInstruction(x)),
        ),
        references: [{ slot: 2, kind: 'map' as const, map: 'ports' }],
      };
    };
    const run = (engine: EngineName, lo: number, hi: number, flags: number) => {
      const rt = new Runtime({ engine, possibleCpus: 1, statsTiming: false });
      const prog = loadProgramSpec(rt, program(lo, hi, flags), new Map([['ports', devmap]]));
      rt.maps.all()[0]!.update(u32(3), u32(1));
      const out = rt.testRun(prog, { data: ipv4UdpFrame(), repeat: 2 });
      return { retval: out.retval, redirect: out.redirect };
    };
    for (const [lo, hi] of [
      [0, 0],
      [3, 0],
      [4, 0],
      [0xffffffff, 0],
      [3, 1],
      [0x7fffffff, 0],
    ]) {
      for (const flags of [2, BPF_F_BROADCAST]) {
        const reference = run('interp', lo, hi, flags);
        expect({ lo, hi, flags, ...run('wasm', lo, hi, flags) }).toEqual({ lo, hi, flags, ...reference });
      }
    }
    expect(run('wasm', 3, 0, 2)).toEqual({ retval: 4, redirect: { kind: 'map', mapId: expect.any(Number), key: 3, flags: 0 } });
  });

  it('records a map target with its key, and clears it when the slot is empty', () => {
    const filled = outcome('wasm', { program: 'xdp_redirect_devmap', filled: true, mapFlags: 2n }, 1);
    expect(filled.retval).toBe(4);
    expect(filled.redirect).toMatchObject({ kind: 'map', key: 0, flags: 0 });
    const broadcast = outcome('wasm', { program: 'xdp_redirect_devmap', mapFlags: BigInt(BPF_F_BROADCAST | 2) }, 1);
    expect(broadcast.redirect).toMatchObject({ kind: 'map', key: 0, flags: BPF_F_BROADCAST | 2 });
    const empty = outcome('wasm', { program: 'xdp_redirect_devmap', mapFlags: 1n }, 1);
    expect(empty).toMatchObject({ retval: 1, redirect: null });
    expect(outcome('wasm', { program: 'xdp_redirect_ifindex', ifindex: 77 }, 300).redirect).toEqual({ kind: 'ifindex', ifindex: 77, flags: 0 });
  });
});
