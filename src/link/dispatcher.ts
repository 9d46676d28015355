import { XdpchainError } from '../errors/index.js';
import { BPF_F_XDP_HAS_FRAGS } from '../elf/programs.js';
import type { CollectionSpec } from '../object-spec/collection-spec.js';
import type { ProgramSpec } from '../object-spec/program-spec.js';
import { XdpAction } from '../xdp/constants.js';
import { DISPATCHER_MAIN, dispatcherProgram, MAX_DISPATCHER_SLOTS, slotFunction } from '../xdp/dispatcher/program.js';
import { objectLabels } from './labels.js';
import { linkSpecs, type LinkResult } from './linker.js';
import { writeObject } from './object-writer.js';

export const DEFAULT_RUN_PRIORITY = 50;
const DEFAULT_CHAIN_ACTIONS: readonly number[] = [XdpAction.PASS];

/** One program to run from a statically linked dispatcher. */
export interface DispatcherComponentInput {
  spec: CollectionSpec;
  /** The XDP program to take; needed when the object has several. */
  program?: string;
  /** Run priority (default: the object's `.xdp_run_config`, else 50). */
  priority?: number;
  /** Return codes that continue to the next program (default: `.xdp_run_config`, else XDP_PASS). */
  chainCallActions?: readonly number[];
}

export interface DispatcherLinkOptions {
  labels?: readonly string[];
  name?: string;
}

/** A component with its program and effective run configuration, as ordered in the dispatcher. */
export interface OrderedComponent {
  input: number;
  label: string;
  program: ProgramSpec;
  priority: number;
  chainCallActions: number[];
}

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Each component's program and run configuration, in libxdp's order: priority, then name (byte order). */
export function orderDispatcherComponents(components: readonly DispatcherComponentInput[], labels: readonly string[]): OrderedComponent[] {
  const resolved = components.map((c, input): OrderedComponent => {
    const xdp = [...c.spec.programs.values()].filter((p) => p.type === 'xdp' && (c.program === undefined || p.name === c.program));
    if (xdp.length !== 1) {
      const names =
        [...c.spec.programs.values()]
          .filter((p) => p.type === 'xdp')
          .map((p) => p.name)
          .join(', ') || 'none';
      throw new XdpchainError(
        c.program && xdp.length === 0 ? 'ENOENT' : 'EINVAL',
        `${labels[input]}: ${c.program ? `has no XDP program ${c.program}` : `has ${xdp.length} XDP programs; choose one`} (XDP programs: ${names})`,
      );
    }
    const program = xdp[0];
    const actions = [...(c.chainCallActions ?? program.runConfig?.chainCallActions ?? DEFAULT_CHAIN_ACTIONS)];
    for (const a of actions) {
      if (!Number.isInteger(a) || a < 0 || a > 31) throw new XdpchainError('EINVAL', `${labels[input]}: chain-call action ${a} is not a return code 0..31`);
    }
    return { input, label: labels[input], program, priority: c.priority ?? program.runConfig?.priority ?? DEFAULT_RUN_PRIORITY, chainCallActions: actions };
  });
  const seen = new Map<string, string>();
  for (const c of resolved) {
    const other = seen.get(c.program.name);
    if (other)
      throw new XdpchainError(
        'EINVAL',
        `program ${c.program.name} is given twice (${other} and ${c.label}); a linked dispatcher holds each function name once`,
      );
    seen.set(c.program.name, c.label);
  }
  return resolved.sort((a, b) => a.priority - b.priority || Buffer.compare(bytes(a.program.name), bytes(b.program.name)) || a.input - b.input);
}

/**
 * Statically link a libxdp-style dispatcher: the generated `xdp_dispatcher` (src/xdp/dispatcher)
 * with each component's program linked in place of its placeholder `progK`, in run order. The
 * result is one XDP program with the dispatcher's semantics (a verdict outside the slot's
 * actions, or 32 and above, ends the run; all continuing gives XDP_PASS); the components'
 * subprograms, maps and global data come along. With one component the output is that program
 * alone (its verdict is returned unchanged, as a one-program dispatcher does).
 */
export function linkDispatcherSpecs(
  components: readonly DispatcherComponentInput[],
  opts: DispatcherLinkOptions = {},
): LinkResult & { order: OrderedComponent[] } {
  if (components.length === 0) throw new XdpchainError('EINVAL', 'a dispatcher needs at least one program');
  if (components.length > MAX_DISPATCHER_SLOTS)
    throw new XdpchainError('E2BIG', `${components.length} programs do not fit a dispatcher (at most ${MAX_DISPATCHER_SLOTS})`);
  const labels = opts.labels ? [...opts.labels] : objectLabels(components.map((c) => c.spec.source));
  const order = orderDispatcherComponents(components, labels);
  if (order.length === 1) {
    const only = order[0];
    return { ...linkSpecs([components[only.input].spec], { labels: [only.label], keepPrograms: [only.program.name], name: opts.name }), order };
  }
  const frags = order.every((c) => (c.program.flags & BPF_F_XDP_HAS_FRAGS) !== 0);
  const mask = (actions: readonly number[]): number => actions.reduce((m, a) => m | (1 << a), 0) >>> 0;
  const { program, config } = dispatcherProgram(order.length, {
    enabled: order.length,
    chainCallActions: order.map((c) => mask(c.chainCallActions)),
    runPriorities: order.map((c) => c.priority),
    programFlags: order.map(() => 0),
    frags,
  });
  const dispatcher: CollectionSpec = {
    programs: new Map([[program.name, { ...program, sectionName: frags ? 'xdp.frags' : 'xdp' }]]),
    maps: new Map([[config.name, config]]),
    license: program.license,
    btf: program.btf!,
    source: 'dispatcher',
  };
  const linkLabels = ['dispatcher', ...labels];
  if (labels.includes('dispatcher')) linkLabels[0] = 'xdp_dispatcher_root';
  const result = linkSpecs([dispatcher, ...components.map((c) => c.spec)], {
    labels: linkLabels,
    name: opts.name,
    keepPrograms: [DISPATCHER_MAIN],
    replace: order.map((c, k) => ({ placeholderInput: 0, placeholder: slotFunction(k), input: c.input + 1, function: c.program.name })),
  });
  return { ...result, order };
}

/** `linkDispatcherSpecs`, written out as one ELF object. */
export function linkDispatcher(components: readonly DispatcherComponentInput[], opts: DispatcherLinkOptions = {}): Uint8Array {
  return writeObject(linkDispatcherSpecs(components, opts).spec);
}
