import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parseHexBytes } from '../../conformance/data-file.js';
import { conformanceHelpers, runVectors } from '../../conformance/runner.js';
import { readCollectionSpec } from '../../elf/collection.js';
import { XdpchainError } from '../../errors/index.js';
import { decodeProgram } from '../../isa/program.js';
import { decodeRaw } from '../../isa/raw.js';
import { AddressSpace } from '../../vm/address-space.js';
import { CodeRegistry } from '../../vm/engine.js';
import { helperTable } from '../../vm/helper.js';
import { createInterpreter } from '../../vm/interp/index.js';
import { DEFAULT_ENGINE, engineFactory } from '../../vm/engines.js';
import { RunState } from '../../vm/run-state.js';
import { action, emit } from '../output.js';
import { globals } from '../session.js';

/** The first program of an ELF object, fully laid out (the plugin protocol's --elf). */
function elfProgram(bytes: Uint8Array) {
  const spec = readCollectionSpec(bytes, { source: 'plugin input' });
  const first = [...spec.programs.values()][0];
  if (!first) throw new XdpchainError('EINVAL', 'the ELF object holds no program');
  if (first.references.length) throw new XdpchainError('EINVAL', `program ${first.name} uses maps or global data, which the plugin protocol cannot provide`);
  return first.instructions;
}

export function registerConformance(root: Command): void {
  root
    .command('conformance')
    .description('run ISA conformance vectors (.data files) and report "N passed, M failed"')
    .argument('<paths...>', '.data files or directories holding them')
    .option('-v, --verbose', 'print every vector, not only failures')
    .option('--json', 'print a JSON report')
    .action(
      action((paths: string[], opts: { verbose?: boolean; json?: boolean }, cmd: Command) => {
        const engine = globals(cmd).engine ?? DEFAULT_ENGINE;
        const results = runVectors(paths, engineFactory(engine));
        const passed = results.filter((r) => r.ok).length;
        const failed = results.length - passed;
        emit(opts, { passed, failed, engine, results }, () =>
          [
            ...results.filter((r) => opts.verbose || !r.ok).map((r) => `${r.ok ? 'PASS' : 'FAIL'} ${r.file}${r.ok ? '' : `: ${r.reason}`}`),
            `${passed} passed, ${failed} failed`,
          ].join('\n'),
        );
        if (failed > 0) process.exitCode = 1;
      }),
    );

  root
    .command('conformance-plugin')
    .description('speak the bpf_conformance plugin protocol: program as hex on stdin, r0 in hex on stdout')
    .argument('[mem]', 'memory contents as hex bytes', '')
    .option('--elf', 'the program bytes are an ELF object')
    .allowUnknownOption(true)
    .action(
      action((memHex: string, opts: { elf?: boolean }) => {
        const hex = readFileSync(0, 'utf8').replace(/\s+/g, '');
        if (hex.length % 2 !== 0) throw new XdpchainError('EINVAL', 'program hex has an odd number of digits');
        const bytes = parseHexBytes(hex.replace(/(..)/g, '$1 '), 'program');
        const program = decodeProgram(opts.elf ? elfProgram(bytes) : decodeRaw(bytes), { program: 'plugin' });
        const space = new AddressSpace({ maxDataBytes: 1 << 20 });
        const exe = createInterpreter({ space, registry: new CodeRegistry() }).compile({
          name: 'plugin',
          program,
          helpers: helperTable(conformanceHelpers),
          callxHelperIds: true,
        });
        const mem = memHex ? parseHexBytes(memHex.replace(/(..)(?=.)/g, '$1 '), 'memory') : new Uint8Array(0);
        let addr = 0;
        if (mem.length) {
          const region = space.alloc(mem.length, 'mem');
          space.view(region).set(mem);
          addr = region.addr;
        }
        process.stdout.write(`${exe.run(new RunState({ budget: 1_000_000 }), addr, mem.length).toString(16)}\n`);
      }),
    );
}
