/** Internal errors `npm run fuzz` found, each as the smallest input that showed it. */
import { describe, expect, it } from 'vitest';
import { applyCoreRelocations } from '../../src/btf/core/index.js';
import { bundledKernelBtf } from '../../src/btf/bundled.js';
import { findType } from '../../src/btf/query.js';
import type { Btf, BtfMember } from '../../src/btf/types.js';
import { coreSpec } from '../btf/core-fixtures.js';

/** A copy of `btf` in which struct `name`'s members are changed by `edit`. */
function withStruct(btf: Btf, name: string, edit: (members: BtfMember[]) => void): Btf {
  const st = findType(btf, name, 'struct');
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
});
