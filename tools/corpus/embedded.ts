/**
 * Pull the BPF objects out of a binary that carries them as bytes (libknot keeps its XDP program
 * in its .rodata; skeleton-based tools embed theirs the same way), so a corpus can use the exact
 * object a distribution ships without building it.
 *
 *   node dist-tools/tools/corpus/embedded.js BINARY OUT.o   writes the first embedded object
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const EM_BPF = 247;

/** Where an embedded ELF64 little-endian BPF object lies in `bytes`. */
export interface EmbeddedObject {
  offset: number;
  size: number;
}

/**
 * Every ELF64 little-endian BPF relocatable object inside `bytes`: found by its magic and
 * e_machine, sized by the furthest of its section header table and its sections' contents.
 */
export function embeddedBpfObjects(bytes: Uint8Array): EmbeddedObject[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: EmbeddedObject[] = [];
  for (let at = bytes.indexOf(0x7f); at >= 0 && at + 64 <= bytes.length; at = bytes.indexOf(0x7f, at + 1)) {
    if (bytes[at + 1] !== 0x45 || bytes[at + 2] !== 0x4c || bytes[at + 3] !== 0x46) continue;
    // ELFCLASS64, little-endian, ET_REL, EM_BPF.
    if (bytes[at + 4] !== 2 || bytes[at + 5] !== 1 || dv.getUint16(at + 16, true) !== 1 || dv.getUint16(at + 18, true) !== EM_BPF) continue;
    const shoff = Number(dv.getBigUint64(at + 0x28, true));
    const shentsize = dv.getUint16(at + 0x3a, true);
    const shnum = dv.getUint16(at + 0x3c, true);
    let size = shoff + shentsize * shnum;
    if (shentsize !== 64 || at + size > bytes.length) continue;
    for (let i = 0; i < shnum; i++) {
      const sh = at + shoff + i * 64;
      const type = dv.getUint32(sh + 4, true);
      const end = Number(dv.getBigUint64(sh + 0x18, true)) + Number(dv.getBigUint64(sh + 0x20, true));
      if (type !== 8 /* SHT_NOBITS */) size = Math.max(size, end);
    }
    if (at + size > bytes.length) continue;
    found.push({ offset: at, size });
    at += size - 1;
  }
  return found;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [binary, out] = process.argv.slice(2);
  if (!binary || !out) {
    process.stderr.write('usage: embedded.js BINARY OUT.o\n');
    process.exit(2);
  }
  const bytes = new Uint8Array(readFileSync(binary));
  const objects = embeddedBpfObjects(bytes);
  if (objects.length === 0) {
    process.stderr.write(`embedded.js: ENOENT: ${binary} holds no BPF object\n`);
    process.exit(1);
  }
  const { offset, size } = objects[0];
  writeFileSync(out, bytes.subarray(offset, offset + size));
  process.stdout.write(`${out}: ${size} bytes from offset ${offset} of ${binary}${objects.length > 1 ? ` (the first of ${objects.length})` : ''}\n`);
}
