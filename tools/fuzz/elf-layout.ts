/** One section of an ELF64 little-endian object, as the structural mutators need it. */
export interface ElfSectionRef {
  index: number;
  name: string;
  /** File offset of the section header. */
  headerAt: number;
  /** File range of the section's data (clamped to the file). */
  offset: number;
  size: number;
}

/**
 * The sections of a well-formed ELF64 LE object, read leniently (nothing is checked beyond what
 * keeps this function in bounds): the fuzz seeds are our own objects, and mutants are never read here.
 */
export function elfSections(bytes: Uint8Array): ElfSectionRef[] {
  if (bytes.length < 64 || bytes[4] !== 2 || bytes[5] !== 1) return [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  if (shoff + shnum * 64 > bytes.length) return [];
  const header = (i: number) => shoff + i * 64;
  const strOff = Number(dv.getBigUint64(header(shstrndx) + 24, true));
  const name = (at: number): string => {
    let end = strOff + at;
    while (end < bytes.length && bytes[end] !== 0) end++;
    return Buffer.from(bytes.subarray(strOff + at, end)).toString('latin1');
  };
  const out: ElfSectionRef[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = header(i);
    const offset = Math.min(Number(dv.getBigUint64(h + 24, true)), bytes.length);
    const nobits = dv.getUint32(h + 4, true) === 8;
    const size = nobits ? 0 : Math.min(Number(dv.getBigUint64(h + 32, true)), bytes.length - offset);
    out.push({ index: i, name: name(dv.getUint32(h, true)), headerAt: h, offset, size });
  }
  return out;
}

/** The data of a named section, if the object has it. */
export function elfSectionData(bytes: Uint8Array, name: string): Uint8Array | undefined {
  const s = elfSections(bytes).find((x) => x.name === name);
  return s && bytes.slice(s.offset, s.offset + s.size);
}
