import type { Command } from 'commander';
import { BPF_F_CHAIN_CALLS } from '../../runtime/chain.js';
import { xdpActionName } from '../../xdp/constants.js';
import { programLines } from '../describe.js';
import { addLoadOptions, addTypeOption, loadEditsFor, reportSkipped, type LoadCliOptions } from '../load-options.js';
import { readObject } from '../object.js';
import { addPacketRunOptions, runPacketAndReport, type PacketRunOptions } from '../packet-run.js';
import { action, emit } from '../output.js';
import { withSession } from '../session.js';

export function registerProg(root: Command): void {
  const prog = root.command('prog').description('load, show and unload programs (bpftool prog style)');
  addTypeOption(
    addLoadOptions(
      prog
        .command('load')
        .description("load an object's maps and programs (every XDP program, or those named); prints the new program ids")
        .argument('<object>', 'ELF object built with clang -target bpf')
        .option('--prog <name...>', 'load only these programs'),
    ),
  )
    .option('--target <prog>', 'for freplace programs: the loaded program (id or name) whose function they replace')
    .option('--function <name>', 'for freplace programs: the function to replace (default: from the section name)')
    .option('--chain-calls', 'set BPF_F_CHAIN_CALLS (1 << 4) as the 2019 series asked; chain calls work without it')
    .option(
      '--dev-bound <iface>',
      'bind the programs to a device (prog_ifindex + BPF_F_XDP_DEV_BOUND_ONLY): they may call the XDP RX metadata kfuncs, and attach to that device only',
    )
    .option('--json', 'print JSON')
    .action(
      action(
        (
          object: string,
          opts: { prog?: string[]; target?: string; function?: string; chainCalls?: boolean; devBound?: string; json?: boolean } & LoadCliOptions,
          cmd: Command,
        ) =>
          withSession(cmd, (s) => {
            const target = opts.target ? s.program(opts.target) : undefined;
            const [edits] = loadEditsFor([readObject(object)], opts);
            const bindTo = opts.devBound !== undefined ? s.rt.fabric.get(opts.devBound).ifindex : undefined;
            const loaded = s.loadObject(object, {
              programs: opts.prog,
              target,
              function: opts.function,
              flags: opts.chainCalls ? BPF_F_CHAIN_CALLS : 0,
              edits,
              btf: opts.btf,
              bindTo,
            });
            reportSkipped(loaded.skipped);
            emit(
              opts,
              loaded.programs.map((p) => ({ id: p.id, name: p.name, tag: p.tag })),
              (l) => l.map((p) => `${p.id}: ${p.name}  tag ${p.tag}`).join('\n'),
            );
          }),
      ),
    );
  prog
    .command('show')
    .description('show loaded programs with their run counts and times')
    .argument('[prog]', 'id or name (default: all)')
    .option('--json', 'print JSON')
    .action(
      action((ref: string | undefined, opts: { json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const progs = ref ? [s.program(ref)] : s.rt.programs();
          const rows = progs.map((p) => {
            const t = s.rt.extensionTarget(p);
            return {
              ...p.info(),
              object: s.objectOf(p) ?? null,
              chain: s.rt.chains.edges(p).map((e) => ({ retcode: e.retcode === 'any' ? 'any' : xdpActionName(e.retcode), next: e.next.id })),
              ...(t ? { replaces: { program: t.program.id, function: t.function } } : {}),
            };
          });
          emit(opts, rows, (r) =>
            r
              .map((row, i) =>
                programLines(progs[i], {
                  object: row.object ?? undefined,
                  boundTo: row.boundIfindex !== undefined ? (s.rt.fabric.find(row.boundIfindex)?.name ?? `ifindex ${row.boundIfindex}`) : undefined,
                  chain: row.chain.map((c) => `${c.retcode}→${c.next}`),
                  target: row.replaces ? `${row.replaces.function} of program ${row.replaces.program}` : undefined,
                }),
              )
              .join('\n'),
          );
        }),
      ),
    );
  addPacketRunOptions(
    prog
      .command('run')
      .description('run one packet through a loaded program with its live maps, as bpftool prog run does on a pinned program')
      .argument('<prog>', 'id or name'),
  ).action(action((ref: string, opts: PacketRunOptions, cmd: Command) => withSession(cmd, (s) => runPacketAndReport(s.rt, s.program(ref), opts))));
  prog
    .command('unload')
    .description('unload a program (refused while it is attached, linked or chained to)')
    .argument('<prog>', 'id or name')
    .action(action((ref: string, _o: unknown, cmd: Command) => withSession(cmd, (s) => s.unloadProgram(s.program(ref)))));
}
