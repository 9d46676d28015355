import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { programTag } from '../../src/runtime/tag.js';

/** Tags `bpftool prog show` printed for every program of progs/build. */
const kernelTags: Record<string, string> = JSON.parse(readFileSync(new URL('../golden/program-tags/kernel-6.18.json', import.meta.url), 'utf8'));
const dir = new URL('../../progs/build/', import.meta.url);

describe('program layout is the one libbpf submits to the kernel', () => {
  const programs = readdirSync(dir)
    .filter((f) => f.endsWith('.o'))
    .flatMap((f) => [...readCollectionSpec(new Uint8Array(readFileSync(new URL(f, dir))), { source: f }).programs.values()])
    // freplace programs need a target at load, and this kernel refuses BPF_PROG_TYPE_EXT (EPERM).
    .filter((p) => p.type !== 'ext')
    // A kfunc call's imm is the function's id in the kernel's BTF, which libbpf writes at load and
    // the tag covers: it depends on the kernel build, not on the object.
    .filter((p) => !p.references.some((r) => r.kind === 'kfunc'));

  it('every program of the corpus has the tag the kernel computed for it', () => {
    expect(programs.length).toBe(Object.keys(kernelTags).length);
    for (const p of programs) expect(`${p.name}: ${programTag(p.instructions)}`).toBe(`${p.name}: ${kernelTags[p.name]}`);
  });
});
