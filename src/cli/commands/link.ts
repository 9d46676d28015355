import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { onUserPath, XdpchainError } from '../../errors/index.js';
import { linkDispatcherSpecs } from '../../link/dispatcher.js';
import { linkSpecs } from '../../link/linker.js';
import { writeObject } from '../../link/object-writer.js';
import { parseXdpAction, xdpActionName } from '../../xdp/constants.js';
import { intOption, readObject } from '../object.js';
import { addLoadOptions, addTypeOption, loadEditsFor, type LoadCliOptions } from '../load-options.js';
import { applyLoadEdits } from '../../object-spec/edit.js';
import { action, emit } from '../output.js';
import { linkStateCommand } from './links.js';

const LINK_STATE_VERBS = new Set(['show', 'detach', 'pin']);

interface LinkCliOptions extends LoadCliOptions {
  output?: string;
  dispatcher?: boolean;
  prog?: string[];
  prio?: string;
  actions?: string[];
  json?: boolean;
}

function parseActions(text: string): number[] {
  return text.split(',').map((a) => {
    const code = parseXdpAction(a.trim());
    if (code === undefined || code > 31)
      throw new XdpchainError('EINVAL', `"${a}" is not an XDP action (XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT or a code 0..31)`);
    return code;
  });
}

/** One value for every object, or one per object in order. */
function perObject<T>(values: T[] | undefined, count: number, what: string): (T | undefined)[] {
  if (!values || values.length === 0) return Array.from({ length: count }, () => undefined);
  if (values.length === 1) return Array.from({ length: count }, () => values[0]);
  if (values.length !== count) throw new XdpchainError('EINVAL', `${what}: give one value for all ${count} objects or one per object, not ${values.length}`);
  return values;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerLink(root: Command): void {
  addTypeOption(
    addLoadOptions(
      root
        .command('link')
        .description(
          'statically link BPF objects into one ELF object (extern calls, weak functions, shared maps); with --dispatcher, link XDP programs behind a libxdp-style dispatcher as one program. Without -o: show, detach ID, pin ID NAME manage live links',
        )
        .argument('<words...>', 'IN.o… with -o OUT.o to link objects; or show | detach ID | pin ID NAME for live links')
        .option('-o, --output <file>', 'the object to write')
        .option('--dispatcher', "generate a dispatcher that runs each object's XDP program in priority order")
        .option('--prog <name>', 'with --dispatcher: the program to take from an object with several (once for all, or once per object)', collect)
        .option('--prio <list>', 'with --dispatcher: run priority, one for all or a comma list with one per object (default: .xdp_run_config, else 50)')
        .option(
          '--actions <list>',
          'with --dispatcher: actions that continue the chain, e.g. XDP_PASS,XDP_DROP (once for all, or once per object; default: .xdp_run_config, else XDP_PASS)',
          collect,
        )
        .option('--json', 'print JSON'),
      { btf: false },
    ),
  ).action(
    action((objects: string[], opts: LinkCliOptions, cmd: Command) => {
      if (opts.output === undefined && LINK_STATE_VERBS.has(objects[0])) {
        linkStateCommand(objects, opts, cmd);
        return;
      }
      if (opts.output === undefined) throw new XdpchainError('EINVAL', 'link: give -o OUT.o to link objects, or one of show, detach ID, pin ID NAME');
      const output = opts.output;
      const specs = objects.map(readObject);
      loadEditsFor(specs, opts).forEach((edits, i) => applyLoadEdits(specs[i], edits));
      if (!opts.dispatcher && (opts.prog || opts.prio || opts.actions))
        throw new XdpchainError('EINVAL', '--prog, --prio and --actions apply to --dispatcher links');
      if (opts.dispatcher) {
        const progs = perObject(opts.prog, specs.length, '--prog');
        const prios = perObject(opts.prio?.split(','), specs.length, '--prio');
        const actions = perObject(opts.actions, specs.length, '--actions');
        const result = linkDispatcherSpecs(
          specs.map((spec, i) => ({
            spec,
            ...(progs[i] ? { program: progs[i] } : {}),
            ...(prios[i] !== undefined ? { priority: intOption(prios[i]!.trim(), '--prio') } : {}),
            ...(actions[i] ? { chainCallActions: parseActions(actions[i]!) } : {}),
          })),
          { name: output },
        );
        onUserPath(`-o ${output}`, () => writeFileSync(output, writeObject(result.spec)));
        const report = {
          output,
          programs: [...result.spec.programs.keys()],
          order: result.order.map((c) => ({
            object: objects[c.input],
            program: c.program.name,
            priority: c.priority,
            chainCallActions: c.chainCallActions.map((a) => xdpActionName(a) ?? String(a)),
          })),
          maps: [...result.spec.maps.keys()],
          warnings: result.warnings,
        };
        emit(opts, report, (r) =>
          [
            `${r.output}: ${r.programs.join(', ')}`,
            ...r.order.map((c, k) => `  ${k}: ${c.program} (${c.object}) priority ${c.priority}, continues on ${c.chainCallActions.join(',')}`),
            ...r.warnings.map((w) => `warning: ${w}`),
          ].join('\n'),
        );
        return;
      }
      const result = linkSpecs(specs, { name: output });
      onUserPath(`-o ${output}`, () => writeFileSync(output, writeObject(result.spec)));
      const report = {
        output,
        programs: [...result.spec.programs.keys()],
        maps: [...result.spec.maps.keys()],
        unresolved: result.unresolved,
        warnings: result.warnings,
      };
      emit(opts, report, (r) =>
        [
          `${r.output}: programs ${r.programs.join(', ') || 'none'}; maps ${r.maps.join(', ') || 'none'}`,
          ...r.unresolved.map((u) => `warning: extern function ${u} is defined by no input; the object will not load until it is linked with one`),
          ...r.warnings.map((w) => `warning: ${w}`),
        ].join('\n'),
      );
    }),
  );
}
