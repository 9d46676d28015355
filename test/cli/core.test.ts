/** --btf on the verbs that load objects, CO-RE in `inspect`, and the state directory keeping the BTF a program was relocated against. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledBtfPath, bundledKernelBtf } from '../../src/btf/bundled.js';
import { findType } from '../../src/btf/query.js';
import { Session } from '../../src/state/session.js';
import type { StateSnapshot } from '../../src/state/snapshot.js';
import { CORE_FIXTURES, CORE_PACKET } from '../btf/core-fixtures.js';
import { cli, cliFails, repo, tempDir } from './cli.js';

const layoutB = join(CORE_FIXTURES, 'core_layout_b.o');
const hex = Buffer.from(CORE_PACKET).toString('hex');

describe('--btf', () => {
  it('test-run relocates against the given file; a file that is not BTF is refused, naming it', () => {
    const state = tempDir('core');
    const out = JSON.parse(cli(state, 'test-run', layoutB, '--btf', bundledBtfPath(), '--hex', hex, '--json')) as { retval: number; fault?: string };
    expect(out).toMatchObject({ retval: 2 });
    expect(out.fault).toBeUndefined();
    for (const verb of [
      ['test-run', layoutB, '--hex', hex],
      ['prog', 'load', layoutB],
      ['run', layoutB, '--pcap', 'x.pcap'],
    ]) {
      const bad = cliFails(state, ...verb, '--btf', join(repo, 'package.json'));
      expect(bad.status, verb.join(' ')).not.toBe(0);
      expect(bad.stderr).toContain(`EINVAL: ${join(repo, 'package.json')} at offset 0 (0x0): is not BTF`);
    }
  });

  it("inspect lists each program's CO-RE relocations", () => {
    const out = cli(tempDir('core'), 'inspect', join(CORE_FIXTURES, 'core_poison.o'));
    expect(out).toContain('CO-RE: instruction 12 field_byte_offset of struct iphdr___poison, access 0:6');
    expect(out).toContain('CO-RE: instruction 16 enumval_value of enum xdp_action___poison, access 0');
  });

  it('a program loaded with --btf is restored against the same BTF, kept in the state directory', () => {
    const dir = tempDir('core-state');
    const targetId = findType(bundledKernelBtf(), 'ethhdr', 'struct')!.id;
    const typeIdSlot = (s: Session) => {
      const p = s.program('core_layout');
      return p.spec.instructions[p.spec.coreRelocations!.find((r) => r.kind === 'type_id_target')!.slot].imm;
    };
    const s1 = Session.open({ dir, engine: 'interp' });
    s1.loadObject(layoutB, { btf: bundledBtfPath() });
    expect(typeIdSlot(s1)).toBe(targetId);
    s1.save();
    s1.close();
    const snapshot = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as StateSnapshot;
    const kept = snapshot.collections[0].kernelBtf!;
    expect(kept.source).toBe(bundledBtfPath());
    expect(existsSync(join(dir, 'btf', `${kept.sha}.btf`))).toBe(true);
    const s2 = Session.open({ dir, engine: 'interp' });
    try {
      expect(typeIdSlot(s2)).toBe(targetId);
    } finally {
      s2.close();
    }
  });
});
