import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { onUserPath, XdpchainError } from '../../errors/index.js';
import { assemble } from '../../isa/asm.js';
import { disassemble } from '../../isa/disasm.js';
import { decodeRaw, encodeRaw } from '../../isa/raw.js';
import { readCollectionSpec } from '../../elf/collection.js';
import type { ProgramSpec } from '../../object-spec/program-spec.js';
import { action, emit } from '../output.js';

export function registerAsm(root: Command): void {
  root
    .command('asm')
    .description('assemble conformance-dialect text (mov %r0, 1 ...) into raw instructions')
    .argument('<file>', 'assembly source, or - for stdin')
    .option('-o, --output <file>', 'write the raw bytes here instead of printing hex')
    .option('--json', 'print instructions as JSON')
    .action(
      action((file: string, opts: { output?: string; json?: boolean }) => {
        const raw = assemble(onUserPath(`file ${file}`, () => readFileSync(file === '-' ? 0 : file, 'utf8')));
        const bytes = encodeRaw(raw);
        if (opts.output) {
          onUserPath(`-o ${opts.output}`, () => writeFileSync(opts.output!, bytes));
          return;
        }
        emit(opts, raw, () =>
          [...Array(raw.length).keys()]
            .map((i) =>
              Buffer.from(bytes.subarray(i * 8, i * 8 + 8))
                .toString('hex')
                .replace(/(..)(?!$)/g, '$1 '),
            )
            .join('\n'),
        );
      }),
    );

  root
    .command('disasm')
    .description('disassemble raw instructions or every program of an ELF object, llvm-objdump style')
    .argument('<file>', 'FILE.o (ELF) or FILE.bin (raw 8-byte instructions)')
    .option('--json', 'print { program, lines } objects')
    .action(
      action((file: string, opts: { json?: boolean }) => {
        const bytes = new Uint8Array(onUserPath(`file ${file}`, () => readFileSync(file)));
        const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
        if (!isElf && bytes.length % 8 !== 0) throw new XdpchainError('EINVAL', `${file}: ${bytes.length} bytes is not a whole number of 8-byte instructions`);
        const listings = isElf
          ? [...readCollectionSpec(bytes, { source: file }).programs.values()].map((p) => ({
              program: p.name,
              section: p.sectionName,
              lines: disassemble(p.instructions, { symbols: functionSymbols(p) }),
            }))
          : [{ program: file, section: '', lines: disassemble(decodeRaw(bytes)) }];
        emit(opts, listings, (ls) =>
          ls.map((l) => (l.section ? `Disassembly of section ${l.section}:\n\n${l.lines.join('\n')}` : l.lines.join('\n'))).join('\n\n'),
        );
      }),
    );
}

/** Function starts (from BTF func info, or the entry alone) as disassembly headers. */
function functionSymbols(p: ProgramSpec): Map<number, string> {
  const m = new Map<number, string>([[0, p.name]]);
  for (const f of p.funcInfo) if (f.name) m.set(f.slot, f.name);
  return m;
}
