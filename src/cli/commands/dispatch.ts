import type { Command } from 'commander';
import { XdpchainError } from '../../errors/index.js';
import type { Program } from '../../runtime/program.js';
import { dispatcherState } from '../../state/dispatcher-state.js';
import { registerStateExtension } from '../../state/session.js';
import { parseXdpAction, xdpActionName } from '../../xdp/constants.js';
import { addLoadOptions, addTypeOption, loadEditsFor, reportSkipped, type LoadCliOptions } from '../load-options.js';
import { intOption, readObject } from '../object.js';
import { action, emit } from '../output.js';
import { withSession } from '../session.js';

registerStateExtension(dispatcherState);

function parseActions(text: string): number[] {
  return text.split(',').map((a) => {
    const code = parseXdpAction(a.trim());
    if (code === undefined || code > 4)
      throw new XdpchainError('EINVAL', `"${a}" is not an XDP action (XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT)`);
    return code;
  });
}

function parseMode(text: string): 'freplace' | 'callx' {
  if (text !== 'freplace' && text !== 'callx') throw new XdpchainError('EINVAL', `--mode ${text} is neither freplace nor callx`);
  return text;
}

export function registerDispatch(root: Command): void {
  addTypeOption(
    addLoadOptions(
      root
        .command('load')
        .description("add XDP programs to a device's dispatcher (libxdp/xdp-loader style), next to whatever it runs")
        .argument('<iface>')
        .argument('<objects...>', 'ELF objects; each contributes its XDP program')
        .option('--prog <name>', 'program to take from each object (needed when an object has several)'),
    ),
  )
    .option('--prio <n>', 'run priority for these programs (default: from .xdp_run_config, else 50)')
    .option('--actions <list>', 'actions that continue the chain, e.g. XDP_PASS,XDP_DROP (default: from .xdp_run_config, else XDP_PASS)')
    .option('--slots <n>', 'dispatcher slots (default 10, at most 63)')
    .option('--force', 'replace a plain program attached to the device')
    .option('--mode <mode>', 'how the dispatcher reaches programs: freplace (placeholders, libxdp) or callx (a table of function pointers)', 'freplace')
    .option('--json', 'print JSON')
    .action(
      action(
        (
          iface: string,
          objects: string[],
          opts: { prog?: string; prio?: string; actions?: string; slots?: string; force?: boolean; mode: string; json?: boolean } & LoadCliOptions,
          cmd: Command,
        ) =>
          withSession(cmd, (s) => {
            const dev = s.rt.fabric.get(iface);
            const edits = loadEditsFor(objects.map(readObject), opts);
            const programs: Program[] = [];
            try {
              for (const [i, o] of objects.entries()) {
                const loaded = s.loadObject(o, { programs: opts.prog ? [opts.prog] : undefined, edits: edits[i], btf: opts.btf });
                reportSkipped(loaded.skipped);
                programs.push(...loaded.programs);
                const xdp = loaded.programs.filter((p) => p.type === 'xdp');
                if (xdp.length !== 1)
                  throw new XdpchainError('EINVAL', `${o} has ${xdp.length} XDP programs (${xdp.map((p) => p.name).join(', ')}); choose one with --prog`);
              }
            } catch (e) {
              for (const p of programs) s.unloadProgram(p);
              throw e;
            }
            try {
              s.rt.dispatchers.add(
                dev,
                programs.map((program) => ({
                  program,
                  priority: opts.prio ? intOption(opts.prio, '--prio') : undefined,
                  chainCallActions: opts.actions ? parseActions(opts.actions) : undefined,
                })),
                { slots: opts.slots ? intOption(opts.slots, '--slots') : undefined, force: opts.force, mode: parseMode(opts.mode) },
              );
            } catch (e) {
              for (const p of programs) s.unloadProgram(p);
              throw e;
            }
            emit(
              opts,
              programs.map((p) => ({ id: p.id, name: p.name })),
              (l) => l.map((p) => `${p.id}: ${p.name} added to ${iface}`).join('\n'),
            );
          }),
      ),
    );

  root
    .command('unload')
    .description("remove programs from a device's dispatcher")
    .argument('<iface>')
    .option('--id <id>', 'the program to remove')
    .option('--all', 'remove every program (and the dispatcher)')
    .action(
      action((iface: string, opts: { id?: string; all?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          if (!opts.id === !opts.all) throw new XdpchainError('EINVAL', 'give exactly one of --id ID or --all');
          const dev = s.rt.fabric.get(iface);
          const st = s.rt.dispatchers.state(dev);
          if (!st) throw new XdpchainError('ENOENT', `${iface} has no dispatcher`);
          const removed = opts.all ? st.components.map((c) => c.program) : [s.program(opts.id!)];
          s.rt.dispatchers.remove(dev, opts.all ? 'all' : removed);
          for (const p of removed) s.unloadProgram(p);
        }),
      ),
    );

  root
    .command('status')
    .description('what runs on each device: mode, dispatcher id, and per program priority, name, id, tag and chain actions')
    .argument('[iface]')
    .option('--json', 'print JSON')
    .action(
      action((iface: string | undefined, opts: { json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const devs = iface ? [s.rt.fabric.get(iface)] : s.rt.fabric.list();
          const report = devs.map((d) => {
            const st = s.rt.dispatchers.state(d);
            const plain = s.rt.xdp.programOf(d);
            return {
              interface: d.name,
              ifindex: d.ifindex,
              mode: st ? (st.mode === 'callx' ? 'dispatcher (callx)' : 'dispatcher') : plain ? 'single' : 'none',
              dispatcherId: st?.dispatcher?.id ?? null,
              programs: st
                ? st.components.map((c) => ({
                    priority: c.priority,
                    name: c.program.name,
                    id: c.program.id,
                    tag: c.program.tag,
                    chainActions: c.chainCallActions.map(xdpActionName),
                    runCount: c.program.stats.runCount,
                  }))
                : plain
                  ? [{ priority: null, name: plain.name, id: plain.id, tag: plain.tag, chainActions: [], runCount: plain.stats.runCount }]
                  : [],
            };
          });
          emit(opts, report, (r) => {
            const lines = [
              `${'Interface'.padEnd(12)} ${'Prio'.padEnd(5)} ${'Program name'.padEnd(24)} ${'Mode'.padEnd(10)} ${'ID'.padEnd(5)} ${'Tag'.padEnd(17)} Chain actions`,
              '-'.repeat(100),
            ];
            for (const d of r) {
              if (d.mode === 'none') {
                lines.push(`${d.interface.padEnd(12)} <no XDP program>`);
                continue;
              }
              if (d.mode.startsWith('dispatcher'))
                lines.push(
                  `${d.interface.padEnd(12)} ${''.padEnd(5)} ${(d.dispatcherId ? (d.mode === 'dispatcher (callx)' ? 'xdp_callx_dispatcher' : 'xdp_dispatcher') : '(single program)').padEnd(24)} ${'native'.padEnd(10)} ${String(d.dispatcherId ?? '-').padEnd(5)}`,
                );
              for (const p of d.programs) {
                const prefix = d.mode.startsWith('dispatcher') ? ` =>`.padEnd(12) : d.interface.padEnd(12);
                lines.push(
                  `${prefix} ${String(p.priority ?? '').padEnd(5)} ${p.name.padEnd(24)} ${(d.mode === 'single' ? 'native' : '').padEnd(10)} ${String(p.id).padEnd(5)} ${p.tag.padEnd(17)} ${p.chainActions.join(',')}`,
                );
              }
            }
            return lines.join('\n');
          });
        }),
      ),
    );
}
