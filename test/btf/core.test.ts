/**
 * CO-RE acceptance: one source compiled against two local layouts of ethhdr, iphdr and xdp_md
 * (test/fixtures/core/src/core_layout.c) reads the same bytes and gives the same answers once
 * relocated against a kernel BTF, on both engines; existence, size, signedness, bitfield shifts,
 * enumerator values and type ids come from the target, not from the program's own BTF.
 */
import { describe, expect, it } from 'vitest';
import { applyCoreRelocations } from '../../src/btf/core/index.js';
import { bundledKernelBtf } from '../../src/btf/bundled.js';
import { findType } from '../../src/btf/query.js';
import { LD_IMM64 } from '../../src/isa/opcodes.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { engines } from '../vm/engines.js';
import { CORE_PACKET, coreSpec, runCore, type Answers } from './core-fixtures.js';

const target = bundledKernelBtf();
const ethhdrId = findType(target, 'ethhdr', 'struct')!.id;

/** What the kernel's layouts say of CORE_PACKET, whatever the local layout. */
function expected(localEthhdrId: number): Answers {
  const ip = CORE_PACKET.subarray(14);
  return {
    h_proto: 0x0800,
    h_dest5: CORE_PACKET[5],
    h_source0: CORE_PACKET[6],
    ttl: 61,
    protocol: 17,
    saddr: new DataView(ip.buffer, ip.byteOffset).getUint32(12),
    daddr: new DataView(ip.buffer, ip.byteOffset).getUint32(16),
    ihl: 5,
    version: 4,
    tot_len: ip[2] | (ip[3] << 8),
    local_only_exists: 0,
    ttl_exists: 1,
    nf_conn_exists: 1,
    no_such_exists: 0,
    iphdr_size: 20,
    pass_value: 2,
    teleport_exists: 0,
    redirect_exists: 1,
    ifindex_signed: 1,
    ttl_signed: 0,
    ihl_lshift: 60,
    ihl_rshift: 60,
    version_lshift: 56,
    version_rshift: 60,
    ethhdr_target_id: ethhdrId,
    ethhdr_local_id: localEthhdrId,
    tot_len_size: 2,
    saddr_offset: 12,
    ingress_ifindex: 1,
    rx_queue: 0,
    matching_exists: 1,
    different_exists: 1,
    pkt_len: CORE_PACKET.length,
  };
}

const localEthhdr = (file: string): number => findType(coreSpec(file).btf!, 'ethhdr', 'struct')!.id;

describe.each(engines)('CO-RE relocation ($name)', ({ name }) => {
  const engine = name as 'wasm' | 'interp';

  it.each(['core_layout_a.o', 'core_layout_b.o'])('%s reads the kernel layout and answers from the target BTF', (file) => {
    const r = runCore(coreSpec(file), engine, target);
    expect(r.fault).toBeUndefined();
    expect(r.retval).toBe(2);
    expect(r.answers).toEqual(expected(localEthhdr(file)));
  });

  it('TYPE_MATCHES answers per structure where TYPE_EXISTS answers per name', () => {
    const spec = coreSpec('core_layout_b.o');
    const prog = spec.programs.get('core_layout')!;
    const btf = prog.btf!;
    // clang 14 cannot emit TYPE_MATCHES: turn the two TYPE_EXISTS of the ethhdr flavours into it.
    for (const r of prog.coreRelocations!) if (r.kind === 'type_exists' && btf.types[r.typeId]?.name.startsWith('ethhdr___')) r.kind = 'type_matches';
    const { answers } = runCore(spec, engine, target);
    expect([answers.matching_exists, answers.different_exists]).toEqual([1, 0]);
  });
});

describe('CO-RE relocation of the two layouts', () => {
  it('the objects differ as compiled and their relocated accesses agree', () => {
    const [a, b] = ['core_layout_a.o', 'core_layout_b.o'].map((f) => coreSpec(f).programs.get('core_layout')!);
    const offsets = (insns: typeof a.instructions, slots: number[]) =>
      slots.map((s) => ((insns[s].opcode & 0x07) === 1 ? `${insns[s].opcode}:${insns[s].off}` : String(insns[s].imm)));
    const fieldSlots = (p: typeof a) => p.coreRelocations!.filter((r) => r.kind === 'field_byte_offset').map((r) => r.slot);
    expect(offsets(a.instructions, fieldSlots(a))).not.toEqual(offsets(b.instructions, fieldSlots(b)));
    const ra = applyCoreRelocations(a, { btf: target, name: 'bundled' });
    const rb = applyCoreRelocations(b, { btf: target, name: 'bundled' });
    expect(offsets(ra.instructions, fieldSlots(a))).toEqual(offsets(rb.instructions, fieldSlots(b)));
    // Layout B's tot_len is a u32: its load is narrowed to the kernel's 2 bytes (an unsigned field may change width).
    const totLen = (p: typeof a, r: typeof ra) =>
      r.instructions[r.outcomes.find((o) => o.relocation.kind === 'field_byte_offset' && o.local.includes('.tot_len'))!.relocation.slot];
    expect(totLen(b, rb).opcode).toBe(totLen(a, ra).opcode);
    expect(b.instructions[rb.outcomes.find((o) => o.local.includes('.tot_len') && o.relocation.kind === 'field_byte_offset')!.relocation.slot].opcode).toBe(
      0x61,
    );
  });

  it("type ids: TYPE_ID_TARGET is the id in the target given, TYPE_ID_LOCAL the object's own", () => {
    const spec = coreSpec('core_layout_a.o');
    const prog = spec.programs.get('core_layout')!;
    const slotOf = (kind: string) => prog.coreRelocations!.find((r) => r.kind === kind)!.slot;
    const r = applyCoreRelocations(prog, { btf: target, name: 'bundled' });
    expect(r.instructions[slotOf('type_id_target')].opcode).toBe(LD_IMM64);
    expect(r.instructions[slotOf('type_id_target')].imm).toBe(ethhdrId);
    expect(r.instructions[slotOf('type_id_local')].imm).toBe(localEthhdr('core_layout_a.o'));
  });

  it('without a kernelBtf option the runtime relocates against its own option, and a load option wins', () => {
    const rt = new Runtime({ engine: 'interp', kernelBtf: target, statsTiming: false });
    const coll = rt.loadCollection(coreSpec('core_layout_a.o'));
    const prog = coll.program('core_layout');
    const slot = prog.spec.coreRelocations!.find((r) => r.kind === 'type_id_target')!.slot;
    expect(prog.spec.instructions[slot].imm).toBe(ethhdrId);
    const other = { ...target, types: [...target.types, { kind: 'struct' as const, id: target.types.length, name: 'ethhdr___extra', size: 0, members: [] }] };
    // An empty ethhdr flavour in the load option's BTF: the first type relocation sees two candidates that disagree.
    expect(() => rt.loadCollection(coreSpec('core_layout_a.o'), { kernelBtf: other })).toThrow(
      /instruction 18: CO-RE relocation #4 \(type_size\) of struct ethhdr.*candidates disagree: struct ethhdr gives 14, struct ethhdr___extra gives 0/,
    );
  });
});
