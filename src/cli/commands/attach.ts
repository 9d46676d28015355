import type { Command } from 'commander';
import { action, emit } from '../output.js';
import { withSession } from '../session.js';

export function registerAttach(root: Command): void {
  root
    .command('attach')
    .description("attach a program to a device's XDP hook")
    .argument('<iface>')
    .argument('<prog>', 'program id or name')
    .option('--replace <old>', 'replace atomically, only if OLD is the program attached now')
    .option('--only-if-empty', 'refuse if anything is attached')
    .option('--link', 'attach through a link that holds the hook until it is detached')
    .option('--pin <name>', 'with --link: pin the link under a name')
    .option('--json', 'print JSON')
    .action(
      action((iface: string, ref: string, opts: { replace?: string; onlyIfEmpty?: boolean; link?: boolean; pin?: string; json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const dev = s.rt.fabric.get(iface);
          const prog = s.program(ref);
          if (opts.link) {
            const link = s.rt.xdp.link(dev, prog);
            if (opts.pin) s.rt.links.pin(link, opts.pin);
            emit(opts, { link: link.id }, (r) => `link ${r.link}`);
            return;
          }
          s.rt.xdp.attach(dev, prog, { onlyIfEmpty: opts.onlyIfEmpty, expected: opts.replace ? s.program(opts.replace) : undefined });
        }),
      ),
    );
  root
    .command('detach')
    .description("detach whatever program runs directly on a device's XDP hook")
    .argument('<iface>')
    .action(action((iface: string, _o: unknown, cmd: Command) => withSession(cmd, (s) => s.rt.xdp.detach(s.rt.fabric.get(iface)))));
  const freplace = root.command('freplace').description('attach freplace programs (loaded with prog load --target)');
  freplace
    .command('attach')
    .description('make a freplace program replace its target function, through a link')
    .argument('<prog>', 'the freplace program (id or name)')
    .option('--pin <name>', 'pin the link under a name')
    .option('--json', 'print JSON')
    .action(
      action((ref: string, opts: { pin?: string; json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const link = s.rt.attachExtension(s.program(ref));
          if (opts.pin) s.rt.links.pin(link, opts.pin);
          emit(opts, { link: link.id }, (r) => `link ${r.link}`);
        }),
      ),
    );
}
