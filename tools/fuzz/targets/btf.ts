import { readFileSync } from 'node:fs';
import { applyCoreRelocations, formatBtfType, parseBtf, parseBtfExt } from '../../../src/btf/index.js';
import { parseBtfFile } from '../../../src/elf/btf-file.js';
import { readCollectionSpec } from '../../../src/elf/index.js';
import type { ProgramSpec } from '../../../src/object-spec/program-spec.js';
import { mutateBtf } from '../btf-mutate.js';
import { elfSectionData } from '../elf-layout.js';
import { mutateBytes, mutateRange } from '../mutate.js';
import { hashBytes, type Rng } from '../prng.js';
import { OBJECT_DIRS, readSeeds, seedPaths } from '../seeds.js';
import type { FuzzTarget, OpenTarget } from '../target.js';

/**
 * An input of this target: a BTF blob alone (raw BTF, as /sys/kernel/btf/vmlinux or data/btf),
 * or an object's .BTF with its .BTF.ext. Packed as [kind u8][length of the BTF u32 LE][BTF][ext].
 */
interface BtfInput {
  btf: Uint8Array;
  ext?: Uint8Array;
}

/** Types formatted per input: enough to walk members, pointers and prototypes of a mutant. */
const TYPES_FORMATTED = 64;

function pack(i: BtfInput): Uint8Array {
  const ext = i.ext ?? new Uint8Array(0);
  const out = new Uint8Array(5 + i.btf.length + ext.length);
  out[0] = i.ext ? 1 : 0;
  new DataView(out.buffer).setUint32(1, i.btf.length, true);
  out.set(i.btf, 5);
  out.set(ext, 5 + i.btf.length);
  return out;
}

function unpack(bytes: Uint8Array): BtfInput {
  if (bytes.length < 5) throw new Error('fuzz btf input: shorter than its 5-byte header');
  const len = Math.min(new DataView(bytes.buffer, bytes.byteOffset).getUint32(1, true), bytes.length - 5);
  const btf = bytes.subarray(5, 5 + len);
  return bytes[0] === 1 ? { btf, ext: bytes.subarray(5 + len) } : { btf };
}

function mutate(rng: Rng, seed: BtfInput, blobs: readonly Uint8Array[]): BtfInput {
  if (!seed.ext || rng.oneIn(2)) return { ...seed, btf: mutateBtf(rng, seed.btf, blobs) };
  const ext = rng.oneIn(2) ? mutateBytes(rng, seed.ext) : mutateRange(rng, seed.ext, 0, Math.min(seed.ext.length, 64));
  return { ...seed, ext };
}

/**
 * BTF through the eager parser (and the pretty printer), the lazy one used for kernel BTF files
 * (as the target of the CO-RE relocations of test/fixtures/core, then printed from a point that
 * depends on the input), and .BTF.ext against its .BTF.
 */
export const btfTarget: FuzzTarget = {
  name: 'btf',
  open(): OpenTarget {
    const objects = readSeeds(OBJECT_DIRS, '.o', 'ELF object');
    const inputs: BtfInput[] = seedPaths(['data/btf'], '.btf').map((p) => ({ btf: new Uint8Array(readFileSync(p)) }));
    for (const o of objects) {
      const btf = elfSectionData(o, '.BTF');
      const ext = elfSectionData(o, '.BTF.ext');
      if (btf) inputs.push({ btf }, ...(ext ? [{ btf, ext }] : []));
    }
    const coreObjects = readSeeds(['test/fixtures/core/build'], '.o', 'CO-RE object');
    const corePrograms: ProgramSpec[] = coreObjects.flatMap((o) =>
      [...readCollectionSpec(o).programs.values()].filter((p) => (p.coreRelocations?.length ?? 0) > 0),
    );
    const blobs = inputs.map((i) => i.btf);
    return {
      seeds: inputs.map(pack),
      generate: (rng) => pack(mutate(rng, rng.pick(inputs), blobs)),
      run(bytes) {
        const input = unpack(bytes);
        const btf = parseBtf(input.btf, 'fuzz.btf');
        if (input.ext) {
          parseBtfExt(input.ext, btf, 'fuzz.btf.ext');
          return;
        }
        for (let id = 1; id < Math.min(btf.types.length, TYPES_FORMATTED); id++) formatBtfType(btf, id);
        const target = parseBtfFile(input.btf, 'fuzz.btf');
        for (const p of corePrograms) applyCoreRelocations(p, { btf: target, name: 'fuzz.btf' });
        // The lazy decoder on types no relocation reached: a window that moves with the input.
        const from = 1 + (hashBytes(input.btf) % Math.max(1, target.types.length - 1));
        for (let id = from; id < Math.min(target.types.length, from + TYPES_FORMATTED); id++) formatBtfType(target, id);
      },
      close: () => undefined,
    };
  },
};
