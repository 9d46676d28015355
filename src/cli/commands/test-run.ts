import type { Command } from 'commander';
import { Runtime } from '../../runtime/runtime.js';
import { addLoadOptions, addTypeOption, btfLoadOption, readObjectForLoad, reportSkipped, type LoadCliOptions } from '../load-options.js';
import { pickProgram } from '../object.js';
import { action } from '../output.js';
import { addPacketRunOptions, runPacketAndReport, type PacketRunOptions } from '../packet-run.js';
import { runtimeGlobals } from '../session.js';

interface TestRunOptions extends LoadCliOptions, PacketRunOptions {
  prog?: string;
}

export function registerTestRun(root: Command): void {
  addPacketRunOptions(
    addTypeOption(
      addLoadOptions(
        root
          .command('test-run')
          .description("load an object and run one packet through a program as the kernel's BPF_PROG_TEST_RUN does")
          .argument('<object>', 'ELF object')
          .option('--prog <name>', 'program to run (needed when the object has several)'),
      ),
    ),
  ).action(
    action((object: string, opts: TestRunOptions, cmd: Command) => {
      // No per-program run times (nothing here shows them), as the kernel's test-run with
      // kernel.bpf_stats_enabled=0: timing reads the clock around every program.
      const rt = new Runtime({ ...runtimeGlobals(cmd), statsTiming: false });
      const coll = rt.loadCollection(readObjectForLoad(object, opts).spec, { ...(opts.prog ? { programs: [opts.prog] } : {}), ...btfLoadOption(opts) });
      reportSkipped(coll);
      runPacketAndReport(rt, pickProgram(coll, opts.prog, object), opts);
    }),
  );
}
