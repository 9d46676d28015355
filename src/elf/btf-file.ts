import { MalformedInputError } from '../errors/index.js';
import { parseBtfLazily } from '../btf/lazy.js';
import { parseRawBtf, readBtfBytes } from '../btf/file.js';
import type { Btf } from '../btf/types.js';
import { parseElf } from './elf-file.js';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/**
 * A BTF given on its own, as bytes: raw BTF (what /sys/kernel/btf/vmlinux holds) or an ELF file
 * with a `.BTF` section (a vmlinux image, an object). Anything else is a MalformedInputError
 * naming `name`.
 */
export function parseBtfFile(bytes: Uint8Array, name: string): Btf {
  if (ELF_MAGIC.every((b, i) => bytes[i] === b)) {
    const sec = parseElf(bytes, name, { sectionsOnly: true }).section('.BTF');
    if (!sec) throw new MalformedInputError(name, 'is an ELF file without a .BTF section, so it holds no BTF to relocate against');
    return { ...parseBtfLazily(sec.data, `${name}: .BTF`, sec.offset), source: name };
  }
  return parseRawBtf(bytes, name, 'it is neither raw BTF (starting with magic 0xeb9f, as /sys/kernel/btf/vmlinux) nor an ELF file with a .BTF section');
}

/** Read a BTF file (see parseBtfFile), with its bytes; a file that cannot be read is ENOENT naming it. */
export function loadBtfFile(path: string): { btf: Btf; bytes: Uint8Array } {
  const bytes = readBtfBytes(path);
  return { btf: parseBtfFile(bytes, path), bytes };
}

/** Read a BTF file: raw BTF or an ELF file with a .BTF section. */
export function readBtfFile(path: string): Btf {
  return loadBtfFile(path).btf;
}
