import type { Command } from 'commander';
import { readBtfFile } from '../btf/file.js';
import type { Btf } from '../btf/types.js';

/** Add `--btf <file>` to a verb that loads objects. */
export function withBtfOption(cmd: Command): Command {
  return cmd.option('--btf <file>', 'kernel BTF to apply CO-RE relocations against: raw BTF such as /sys/kernel/btf/vmlinux, or an ELF file with a .BTF section (default: /sys/kernel/btf/vmlinux, else the bundled kernel types)');
}

/** The load option `--btf` stands for; the file is read (and refused if it is not BTF) now, before anything loads. */
export function btfLoadOption(opts: { btf?: string }): { kernelBtf?: Btf } {
  return opts.btf === undefined ? {} : { kernelBtf: readBtfFile(opts.btf) };
}
