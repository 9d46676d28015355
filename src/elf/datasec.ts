import type { Btf, BtfType } from '../btf/types.js';
import { STT, type ElfFile } from './elf-file.js';

/** DATASECs whose layout the loader decides (externs), not the ELF file. */
const EXTERN_DATASECS = new Set(['.kconfig', '.ksyms']);

/**
 * clang leaves every DATASEC's size and its variables' offsets zero; the ELF section size and the
 * variables' symbols hold them. Fill them in as libbpf does before loading BTF, so the BTF
 * describes the object's real layout (and can be written back out). Returns `btf` unchanged
 * when nothing needed filling.
 */
export function fixDatasecLayout(btf: Btf, elf: ElfFile): Btf {
  let changed = false;
  const types = btf.types.map((t): BtfType | undefined => {
    if (t?.kind !== 'datasec' || EXTERN_DATASECS.has(t.name)) return t;
    const sec = elf.section(t.name);
    if (!sec) return t;
    const symbols = elf.symbols.filter((s) => s.section === sec.index && s.type === STT.OBJECT);
    const vars = t.vars.map((v) => {
      if (v.offset !== 0) return v;
      const variable = btf.types[v.type];
      const sym = variable?.kind === 'var' ? symbols.find((s) => s.name === variable.name) : undefined;
      return sym && sym.value !== 0 ? { ...v, offset: sym.value } : v;
    });
    const size = t.size === 0 ? sec.size : t.size;
    if (size === t.size && vars.every((v, i) => v === t.vars[i])) return t;
    changed = true;
    return { ...t, size, vars };
  });
  return changed ? { types, strings: btf.strings } : btf;
}
