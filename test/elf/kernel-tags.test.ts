import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { programTag } from '../../src/runtime/tag.js';
import type { ProgramSpec } from '../../src/object-spec/program-spec.js';

/** Tags `bpftool prog show` printed for every program of progs/build. */
const kernelTags: Record<string, string> = JSON.parse(readFileSync(new URL('../golden/program-tags/kernel-6.18.json', import.meta.url), 'utf8'));
/**
 * The BTF ids of kfuncs in this kernel's vmlinux (`bpftool btf dump file /sys/kernel/btf/vmlinux`):
 * libbpf writes them into kfunc calls and the kernel's tag covers them. xdpchain keeps its own ids,
 * so the tag it shows for a program calling kfuncs differs from the kernel's by exactly these.
 */
const kfuncBtfIds: Record<string, number> = JSON.parse(readFileSync(new URL('../golden/program-tags/kernel-6.18-kfunc-btf-ids.json', import.meta.url), 'utf8'));
const dir = new URL('../../progs/build/', import.meta.url);

/** The instructions as libbpf submits them to this kernel: kfunc calls carry the kfunc's vmlinux BTF id. */
function asSubmitted(p: ProgramSpec): ProgramSpec['instructions'] {
  const insns = p.instructions.map((i) => ({ ...i }));
  for (const r of p.references) {
    if (r.kind !== 'kfunc') continue;
    const id = kfuncBtfIds[r.name];
    if (id === undefined) throw new Error(`${p.name} calls kfunc ${r.name}, whose BTF id in the kernel is not recorded`);
    insns[r.slot].imm = id;
  }
  return insns;
}

describe('program layout is the one libbpf submits to the kernel', () => {
  const programs = readdirSync(dir)
    .filter((f) => f.endsWith('.o'))
    .flatMap((f) => [...readCollectionSpec(new Uint8Array(readFileSync(new URL(f, dir))), { source: f }).programs.values()])
    // freplace programs need a target at load, and this kernel refuses BPF_PROG_TYPE_EXT (EPERM).
    .filter((p) => p.type !== 'ext');

  it('every program of the corpus has the tag the kernel computed for it', () => {
    expect(programs.length).toBe(Object.keys(kernelTags).length);
    for (const p of programs) expect(`${p.name}: ${programTag(asSubmitted(p))}`).toBe(`${p.name}: ${kernelTags[p.name]}`);
  });
});
