/** Internal errors `npm run fuzz` found, each as the smallest input that showed it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyCoreRelocations } from '../../src/btf/core/index.js';
import { bundledKernelBtf } from '../../src/btf/bundled.js';
import { findType, resolveType } from '../../src/btf/query.js';
import type { Btf, BtfMember } from '../../src/btf/types.js';
import { readCollectionSpec } from '../../src/elf/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { coreSpec } from '../btf/core-fixtures.js';
import { errorOf } from '../error-of.js';
import { engines } from '../vm/engines.js';
import { mutateJson } from '../../tools/fuzz/json-mutate.js';
import type { Rng } from '../../tools/fuzz/prng.js';

/** A copy of `btf` in which struct `name` (or the struct with that id)'s members are changed by `edit`. */
function withStruct(btf: Btf, name: string | number, edit: (members: BtfMember[]) => void): Btf {
  const st = typeof name === 'number' ? resolveType(btf, name) : findType(btf, name, 'struct');
  if (st?.kind !== 'struct') throw new Error(`no struct ${name}`);
  const copy = { ...st, members: st.members.map((m) => ({ ...m })) };
  edit(copy.members);
  const types = [...btf.types];
  types[st.id] = copy;
  return { ...btf, types };
}

describe('fuzz regressions', () => {
  it('btf seed 18 input 51765: an array element behind a member at a bit offset that is not whole bytes', () => {
    // core_layout's relocation #6 reads ethhdr.h_dest[5] (access 0:0:5); the target BTF put
    // h_dest at bit 4. libbpf divides the bit offset by 8 as an integer; BigInt(4.5 + 5) threw a RangeError.
    const prog = coreSpec('core_layout_a.o').programs.get('core_layout')!;
    const relocation = prog.coreRelocations![6];
    expect(relocation).toMatchObject({ accessString: '0:0:5', kind: 'field_byte_offset' });
    const target = withStruct(bundledKernelBtf(), 'ethhdr', (members) => {
      members[0].bitOffset = 4;
    });
    const out = applyCoreRelocations({ ...prog, coreRelocations: [relocation] }, { btf: target, name: 'fuzzed ethhdr' });
    expect(out.outcomes[0].value).toBe(5n);
  });

  it.each(engines)('elf seed 19 input 88707: a bpf_spin_lock outside the map value fails the map ($name)', ({ name }) => {
    // spin_lock.o with its value struct's lock member moved to bit 2097152 of a 24-byte value: the
    // maps were created, and the first bpf_map_update_elem copied around the lock with
    // Uint8Array.set past the value, a RangeError. The kernel's BTF check refuses such a map.
    const spec = readCollectionSpec(new Uint8Array(readFileSync(new URL('../../progs/build/spin_lock.o', import.meta.url))), { source: 'spin_lock.o' });
    for (const m of spec.maps.values()) {
      if (!m.btf || !m.valueTypeId || resolveType(m.btf, m.valueTypeId)?.kind !== 'struct') continue;
      m.btf = withStruct(m.btf, m.valueTypeId, (members) => {
        for (const member of members) if (member.name === 'lock') member.bitOffset = 2097152;
      });
    }
    const rt = new Runtime({ engine: name as 'wasm', statsTiming: false });
    const e = errorOf(() => rt.loadCollection(spec));
    expect(e.errno).toBe('EINVAL');
    expect(e.message).toMatch(/struct bpf_spin_lock lock at bit 2097152 is not a 4-byte aligned field inside the 24-byte value/);
  });
});

describe('the fuzzer itself', () => {
  it('never puts a shared replacement value into the document twice (it could become its own member: a cycle JSON.stringify refuses)', () => {
    // Scripted choices: two rounds, each replacing a member by the odd value [null]; the second
    // replaces that array's own element. CI's seed for 8348b9c met it in the state target.
    const answers = [1, 1, 0, 2, 12, 1, 2, 12];
    const below = (): number => answers.shift()!;
    const rng = { below, oneIn: () => below() === 0, pick: <T>(items: readonly T[]): T => items[below()] } as unknown as Rng;
    const out = JSON.parse(new TextDecoder().decode(mutateJson(rng, new TextEncoder().encode('{"a":"x"}'))));
    expect(out).toEqual({ a: [[null]] });
    expect(answers).toEqual([]);
  });
});
