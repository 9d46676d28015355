/** libbpf's CO-RE rules that the acceptance objects do not reach: poisoning, checks, ambiguity, names. */
import { describe, expect, it } from 'vitest';
import { applyCoreRelocations, essentialName } from '../../src/btf/core/index.js';
import { bundledKernelBtf } from '../../src/btf/bundled.js';
import { findType } from '../../src/btf/query.js';
import type { Btf, BtfType } from '../../src/btf/types.js';
import { XdpchainError } from '../../src/errors/index.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { engines } from '../vm/engines.js';
import { readFileSync } from 'node:fs';
import { readCollectionSpec } from '../../src/elf/collection.js';
import { linkSpecs } from '../../src/link/linker.js';
import { writeObject } from '../../src/link/object-writer.js';
import { coreSpec, runCore } from './core-fixtures.js';

const target = bundledKernelBtf();

/** A frame whose byte 13 picks core_poison's path. */
const frame = (path: number): Uint8Array => {
  const f = new Uint8Array(64);
  f[13] = path;
  return f;
};

describe.each(engines)('poisoned relocations ($name)', ({ name }) => {
  const run = (path: number) => {
    const rt = new Runtime({ engine: name as 'wasm', statsTiming: false, kernelBtf: target });
    const prog = rt.loadCollection(coreSpec('core_poison.o')).program('core_poison');
    return rt.testRun(prog, { data: frame(path) });
  };

  it('a program with unresolvable relocations loads and runs while no poisoned instruction is reached', () => {
    const out = run(0);
    expect(out.fault).toBeUndefined();
    expect(out.retval).toBe(2);
  });

  it.each([
    [
      1,
      12,
      /CO-RE relocation #0 \(field_byte_offset\) of struct iphdr___poison\.only_in_this_program \(0:6 @ offset 12\), access "0:6", was not resolved against the bundled kernel BTF \(data\/btf\/xdp-types\.btf\): struct iphdr in the bundled kernel BTF \(data\/btf\/xdp-types\.btf\) has no compatible field only_in_this_program/,
    ],
    [
      2,
      16,
      /CO-RE relocation #2 \(enumval_value\) of enum xdp_action___poison::XDP_TELEPORT___poison, access "0", .*: enum xdp_action in .* has no enumerator XDP_TELEPORT___poison/,
    ],
    [
      3,
      14,
      /CO-RE relocation #1 \(field_byte_offset\) of struct iphdr___poison\.frag_off .*: the field's size changes \(4 → 2 bytes\) and it is neither a pointer nor an unsigned integer/,
    ],
  ])('path %i faults at the poisoned instruction %i, naming the relocation once', (path, insn, message) => {
    const out = run(path);
    expect(out.retval).toBe(0);
    expect(out.fault?.message).toMatch(new RegExp(`^program core_poison, instruction ${insn} \\(.*\\): unknown#195896080: `));
    expect(out.fault?.message).toMatch(message);
    expect(out.fault?.message.match(/CO-RE relocation/g)).toHaveLength(1);
  });
});

describe.each(engines)('a relocation in a subprogram ($name)', ({ name }) => {
  it("lands on the subprogram's slot in the laid-out program and reads the kernel's ttl", () => {
    const spec = coreSpec('core_subprog.o');
    const prog = spec.programs.get('core_subprog')!;
    const sub = prog.funcInfo.find((f) => f.name === 'ttl_of')!;
    expect(sub.slot).toBeGreaterThan(0);
    expect(prog.coreRelocations).toEqual([
      { slot: sub.slot, typeId: findType(prog.btf!, 'iphdr___sub', 'struct')!.id, accessString: '0:1', kind: 'field_byte_offset' },
    ]);
    const rt = new Runtime({ engine: name as 'wasm', statsTiming: false, kernelBtf: target });
    const out = rt.testRun(rt.loadCollection(spec).program('core_subprog'), { data: ipv4UdpFrame({ ttl: 61 }) });
    expect(out.fault).toBeUndefined();
    expect(out.retval).toBe(61);
  });
});

describe('CO-RE rules', () => {
  it('essential names drop the last ___flavour only', () => {
    expect(essentialName('iphdr___local')).toBe('iphdr');
    expect(essentialName('a___b___c')).toBe('a___b');
    expect(essentialName('task_struct')).toBe('task_struct');
    expect(essentialName('x____y')).toBe('x____y');
    expect(essentialName('____x')).toBe('____x');
  });

  it("an instruction that does not hold what the program's own BTF says fails the load, naming it", () => {
    const spec = coreSpec('core_layout_a.o');
    const prog = spec.programs.get('core_layout')!;
    const relo = prog.coreRelocations!.find((r) => r.kind === 'field_byte_offset' && r.accessString === '0:6')!;
    prog.instructions[relo.slot] = { ...prog.instructions[relo.slot], off: 3 };
    const err = (() => {
      try {
        applyCoreRelocations(prog, { btf: target, name: 'kernel' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(XdpchainError);
    expect((err as XdpchainError).errno).toBe('EINVAL');
    expect((err as Error).message).toMatch(
      new RegExp(
        `^program core_layout, instruction ${relo.slot}: CO-RE relocation #\\d+ \\(field_byte_offset\\) of struct iphdr___local.ttl \\(0:6 @ offset 8\\), access "0:6" against kernel: the instruction's offset is 3, but the program's own BTF gives 8`,
      ),
    );
  });

  it('two candidates that put a field at different offsets are an ambiguity error', () => {
    const iphdr = findType(target, 'iphdr', 'struct') as Extract<BtfType, { kind: 'struct' | 'union' }>;
    const moved = {
      ...iphdr,
      id: target.types.length,
      name: 'iphdr___moved',
      members: iphdr.members.map((m) => (m.name === 'ttl' ? { ...m, bitOffset: m.bitOffset + 8 } : m)),
    };
    const two: Btf = { ...target, types: [...target.types, moved] };
    const prog = coreSpec('core_layout_a.o').programs.get('core_layout')!;
    expect(() => applyCoreRelocations(prog, { btf: two, name: 'two-iphdr BTF' })).toThrow(
      /of struct iphdr___local.ttl .* against two-iphdr BTF: the target's candidates disagree on the field's offset: struct iphdr.ttl \(0:6 @ offset 8\) and struct iphdr___moved.ttl \(0:6 @ offset 9\)/,
    );
  });

  it('a candidate whose field has an incompatible type does not match (poison), one with a compatible type does', () => {
    const ethhdr = findType(target, 'ethhdr', 'struct') as Extract<BtfType, { kind: 'struct' | 'union' }>;
    const ptrId = target.types.findIndex((t) => t?.kind === 'ptr');
    // h_proto as a pointer: an int and a pointer are not compatible fields, so no candidate has h_proto.
    const changed = { ...ethhdr, members: ethhdr.members.map((m) => (m.name === 'h_proto' ? { ...m, type: ptrId } : m)) };
    const types = [...target.types];
    types[ethhdr.id] = changed;
    const prog = coreSpec('core_layout_a.o').programs.get('core_layout')!;
    const r = applyCoreRelocations(prog, { btf: { ...target, types }, name: 'changed' });
    const hProto = r.outcomes.find((o) => o.local.startsWith('struct ethhdr.h_proto'))!;
    expect(hProto.poisoned).toMatch(/struct ethhdr in changed has no compatible field h_proto/);
    expect(r.outcomes.find((o) => o.local.startsWith('struct ethhdr.h_dest'))!.value).toBe(5n);
  });

  it('relocations are refused when the program has no BTF, and an anonymous root has no candidates to look for', () => {
    const prog = coreSpec('core_layout_a.o').programs.get('core_layout')!;
    expect(() => applyCoreRelocations({ ...prog, btf: undefined }, { btf: target, name: 'k' })).toThrow(/program core_layout has CO-RE relocations but no BTF/);
    const anon = prog.btf!.types.findIndex((t) => t?.kind === 'struct' && t.name === '');
    expect(anon).toBeGreaterThan(0);
    const relo = { ...prog.coreRelocations!.find((r) => r.kind === 'type_exists')!, typeId: anon };
    expect(() => applyCoreRelocations({ ...prog, coreRelocations: [relo] }, { btf: target, name: 'k' })).toThrow(/the root type is anonymous/);
  });
});

describe('static linking keeps CO-RE relocations', () => {
  it('a linked object carries every relocation, with its types, and relocates to the same answers', () => {
    const original = coreSpec('core_layout_b.o');
    const pass = readCollectionSpec(new Uint8Array(readFileSync(new URL('../../progs/build/xdp_pass.o', import.meta.url))), { source: 'xdp_pass.o' });
    const linked = readCollectionSpec(writeObject(linkSpecs([pass, original], { name: 'linked.o' }).spec), { source: 'linked.o' });
    const before = original.programs.get('core_layout')!;
    const after = linked.programs.get('core_layout')!;
    const described = (p: typeof before) =>
      p.coreRelocations!.map((r) => `${r.slot} ${r.kind} ${p.btf!.types[r.typeId]?.kind} ${p.btf!.types[r.typeId]?.name} ${r.accessString}`);
    expect(described(after)).toEqual(described(before));
    expect(runCore(linked, 'interp', target).answers).toEqual({
      ...runCore(original, 'interp', target).answers,
      ethhdr_local_id: findType(after.btf!, 'ethhdr', 'struct')!.id,
    });
  });
});
