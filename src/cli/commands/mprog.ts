import type { Command } from 'commander';
import type { MprogAnchor, MprogAttachOptions } from '../../runtime/mprog.js';
import type { Session } from '../../state/session.js';
import { mprogState } from '../../state/mprog-state.js';
import { registerStateExtension } from '../../state/session.js';
import { intOption } from '../object.js';
import { action, emit } from '../output.js';
import { withSession } from '../session.js';

registerStateExtension(mprogState);

interface AnchorOptions {
  before?: string;
  after?: string;
  beforeLink?: string;
  afterLink?: string;
  first?: boolean;
  last?: boolean;
  expectedRevision?: string;
}

function anchor(s: Session, prog: string | undefined, link: string | undefined): MprogAnchor | undefined {
  if (prog) return { program: s.program(prog) };
  if (link) return { link: intOption(link, 'link id') };
  return undefined;
}

function withAnchorOptions(cmd: Command): Command {
  return cmd
    .option('--before <prog>', 'right before this program (id or name)')
    .option('--after <prog>', 'right after this program')
    .option('--before-link <id>', 'right before the program of this link')
    .option('--after-link <id>', 'right after the program of this link')
    .option('--expected-revision <n>', 'refuse with ESTALE unless the list is at this revision');
}

export function registerMprog(root: Command): void {
  const mprog = root.command('mprog').description("ordered program lists per device, with the kernel's tcx/bpf_mprog rules");
  withAnchorOptions(mprog.command('attach').description("insert a program into a device's list (XDP_PASS continues to the next)"))
    .argument('<iface>')
    .argument('<prog>', 'id or name')
    .option('--first', 'at the front')
    .option('--last', 'at the end (the default)')
    .option('--replace <prog>', 'replace this program in place')
    .option('--link', 'attach through a link that owns the entry')
    .option('--json', 'print JSON')
    .action(
      action((iface: string, ref: string, opts: AnchorOptions & { replace?: string; link?: boolean; json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const before = anchor(s, opts.before, opts.beforeLink) ?? (opts.first ? true : undefined);
          const after = anchor(s, opts.after, opts.afterLink) ?? (opts.last ? true : undefined);
          const o: MprogAttachOptions = { link: opts.link };
          if (before !== undefined) o.before = before;
          if (after !== undefined) o.after = after;
          if (opts.replace) o.replace = s.program(opts.replace);
          if (opts.expectedRevision) o.expectedRevision = intOption(opts.expectedRevision, '--expected-revision');
          const r = s.rt.mprogs.attach(s.rt.fabric.get(iface), s.program(ref), o);
          emit(opts, { revision: r.revision, ...(r.link ? { link: r.link.id } : {}) }, (x) => `revision ${x.revision}${x.link ? `, link ${x.link}` : ''}`);
        }),
      ),
    );
  withAnchorOptions(mprog.command('detach').description("remove a program (attached without a link) from a device's list"))
    .argument('<iface>')
    .argument('<prog>')
    .option('--json', 'print JSON')
    .action(
      action((iface: string, ref: string, opts: AnchorOptions & { json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const revision = s.rt.mprogs.detach(s.rt.fabric.get(iface), s.program(ref), {
            before: anchor(s, opts.before, opts.beforeLink),
            after: anchor(s, opts.after, opts.afterLink),
            expectedRevision: opts.expectedRevision ? intOption(opts.expectedRevision, '--expected-revision') : undefined,
          });
          emit(opts, { revision }, (x) => `revision ${x.revision}`);
        }),
      ),
    );
  mprog
    .command('show')
    .description('the list of a device (or all devices) in run order, with its revision')
    .argument('[iface]')
    .option('--json', 'print JSON')
    .action(
      action((iface: string | undefined, opts: { json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const devs = iface ? [s.rt.fabric.get(iface)] : s.rt.mprogs.devices();
          const rows = devs.map((d) => {
            const h = s.rt.mprogs.hook(d);
            return {
              interface: d.name,
              revision: h?.revision ?? 1,
              programs: (h?.entries ?? []).map((e) => ({
                id: e.program.id,
                name: e.program.name,
                link: e.link?.id ?? null,
                runCount: e.program.stats.runCount,
              })),
            };
          });
          emit(
            opts,
            rows,
            (r) =>
              r
                .map((d) =>
                  [
                    `${d.interface}: revision ${d.revision}`,
                    ...d.programs.map((p, i) => `  ${i}: ${p.name} (id ${p.id})${p.link ? ` via link ${p.link}` : ''}  run_cnt ${p.runCount}`),
                  ].join('\n'),
                )
                .join('\n') || 'no program lists',
          );
        }),
      ),
    );
}
