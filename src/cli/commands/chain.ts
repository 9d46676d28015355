import type { Command } from 'commander';
import { action, emit } from '../output.js';
import { withSession } from '../session.js';
import { parseRetcode } from '../values.js';

/** The series' wildcard was ~0: the spellings a user may meet (-1, 4294967295) are named so none is a surprise. */
const RET_HELP =
  'return code 0..6 or an action name (XDP_PASS, pass); the wildcard (runs after any code without a slot of its own) is any or *, and -1 or 4294967295 (~0 as u32, as the 2019 series took it) mean the same';

export function registerChain(root: Command): void {
  const chain = root.command('chain').description('chain calls (the 2019 series): what runs after a program returns a code');
  chain
    .command('add')
    .description('run NEXT after PREV returns RETCODE (any, *, -1 or 4294967295: the wildcard)')
    .argument('<prev>', 'program id or name')
    .argument('<retcode>', RET_HELP)
    .argument('<next>', 'program id or name')
    .action(
      action((prev: string, ret: string, next: string, _o: unknown, cmd: Command) =>
        withSession(cmd, (s) => s.rt.chains.add(s.program(prev), parseRetcode(ret), s.program(next))),
      ),
    );
  chain
    .command('del')
    .description('remove the chain call of PREV for RETCODE')
    .argument('<prev>')
    .argument('<retcode>', RET_HELP)
    .action(
      action((prev: string, ret: string, _o: unknown, cmd: Command) => withSession(cmd, (s) => void s.rt.chains.delete(s.program(prev), parseRetcode(ret)))),
    );
  chain
    .command('get')
    .description('print the id of the program PREV chains to for RETCODE')
    .argument('<prev>')
    .argument('<retcode>', RET_HELP)
    .option('--json', 'print JSON')
    .action(
      action((prev: string, ret: string, opts: { json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const next = s.rt.chains.get(s.program(prev), parseRetcode(ret));
          emit(opts, { id: next.id, name: next.name }, (n) => `${n.id}`);
        }),
      ),
    );
}
