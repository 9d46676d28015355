import { XdpchainError } from '../errors/index.js';
import type { BpfMap } from '../maps/map.js';
import type { XdpBuffer } from '../xdp/buffer.js';
import { XdpAction } from '../xdp/constants.js';
import { functionAddress } from '../vm/engine.js';
import { callxDispatcherProgram, encodeCallxTable } from '../xdp/dispatcher/callx-program.js';
import { DEFAULT_DISPATCHER_SLOTS, dispatcherProgram, MAX_DISPATCHER_SLOTS, slotFunction } from '../xdp/dispatcher/program.js';
import type { HookVerdict, Netdev, XdpHook } from '../xdp/netdev.js';
import { ProgramHook } from './attach.js';
import { refuseBoundIn } from './dev-bound.js';
import type { Link } from './link.js';
import type { Program } from './program.js';
import type { Runtime } from './runtime.js';

export const DEFAULT_RUN_PRIORITY = 50;
export const DEFAULT_CHAIN_ACTIONS: readonly number[] = [XdpAction.PASS];

/** One program in a dispatcher with its run configuration. */
export interface DispatcherComponent {
  program: Program;
  priority: number;
  /** Return codes on which the next program runs. */
  chainCallActions: number[];
  /** Order of arrival: programs already attached sort before new ones of equal priority and name. */
  sequence: number;
}

/** The hook of a device running a dispatcher (or, with one component, that component alone). */
export class DispatcherHook implements XdpHook {
  constructor(
    readonly state: DispatcherState,
    private readonly inner: ProgramHook,
  ) {}

  get description(): string {
    const n = this.state.components.length;
    return this.state.dispatcher
      ? `${this.state.mode === 'callx' ? 'callx ' : ''}dispatcher (id ${this.state.dispatcher.id}) with ${n} programs`
      : `dispatcher with 1 program: ${this.state.components[0].program.name} (id ${this.state.components[0].program.id})`;
  }

  run(buffer: XdpBuffer): HookVerdict {
    return this.inner.run(buffer);
  }

  runEach(buffers: readonly XdpBuffer[], device: Netdev, each: (i: number, verdict: HookVerdict) => void): void {
    this.inner.runEach(buffers, device, each);
  }
}

/** How components are reached: freplace links onto placeholders, or callx through a table. */
export type DispatcherMode = 'freplace' | 'callx';

/** Per-device dispatcher state. */
export interface DispatcherState {
  mode: DispatcherMode;
  slots: number;
  components: DispatcherComponent[];
  /** The generated dispatcher program; null with a single component (it runs on its own). */
  dispatcher: Program | null;
  config: BpfMap | null;
  links: Link[];
}

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

interface NextState {
  mode: DispatcherMode;
  slots: number;
  components: DispatcherComponent[];
}

/** libxdp's order: priority, name (byte order), already attached first, instruction count, tag, load time. */
export function orderComponents(components: DispatcherComponent[]): DispatcherComponent[] {
  return [...components].sort(
    (a, b) =>
      a.priority - b.priority ||
      Buffer.compare(bytes(a.program.name), bytes(b.program.name)) ||
      a.sequence - b.sequence ||
      a.program.instructionCount - b.program.instructionCount ||
      Buffer.compare(bytes(a.program.tag), bytes(b.program.tag)) ||
      a.program.loadedAt.getTime() - b.program.loadedAt.getTime(),
  );
}

const mask = (actions: readonly number[]): number => actions.reduce((m, a) => (a >= 0 && a < 32 ? m | (1 << a) : m), 0) >>> 0;

/**
 * libxdp-compatible multi-program attachment: a generated dispatcher whose placeholder functions
 * are replaced by the components through freplace links. Adding or removing a component builds
 * a new dispatcher and swaps it onto the device with a compare-and-swap; components keep their
 * ids and statistics.
 */
export class XdpDispatchers {
  private readonly states = new Map<Netdev, DispatcherState>();
  private sequence = 0;

  constructor(private readonly rt: Runtime) {}

  state(dev: Netdev): DispatcherState | undefined {
    return this.states.get(dev);
  }

  devices(): Netdev[] {
    return [...this.states.keys()];
  }

  /**
   * Add programs to the device's dispatcher (creating it). A device running a plain program
   * refuses (EBUSY) unless `force`, which replaces that program.
   */
  add(
    dev: Netdev,
    add: { program: Program; priority?: number; chainCallActions?: readonly number[] }[],
    opts: { slots?: number; force?: boolean; mode?: DispatcherMode; dispatcherId?: number; configMapId?: number } = {},
  ): DispatcherState {
    const current = this.states.get(dev);
    const slots = opts.slots ?? current?.slots ?? DEFAULT_DISPATCHER_SLOTS;
    const mode = opts.mode ?? current?.mode ?? 'freplace';
    if (current && current.mode !== mode)
      throw new XdpchainError('EINVAL', `${dev.name}'s dispatcher reaches its programs by ${current.mode}; unload it to switch to ${mode}`);
    if (!Number.isInteger(slots) || slots < 1 || slots > MAX_DISPATCHER_SLOTS)
      throw new XdpchainError('EINVAL', `a dispatcher has 1 to ${MAX_DISPATCHER_SLOTS} slots, not ${slots}`);
    if (!current && dev.hook && !opts.force) {
      throw new XdpchainError('EBUSY', `${dev.name} already runs ${dev.hook.description} without a dispatcher; unload it first (or use --force to replace it)`);
    }
    const components = [...(current?.components ?? [])];
    for (const a of add) {
      if (a.program.type !== 'xdp' || a.program.attachType !== 'xdp')
        throw new XdpchainError('EINVAL', `${a.program.name} (id ${a.program.id}) is not an XDP program for a device hook`);
      refuseBoundIn(
        a.program,
        "a dispatcher's component",
        'components replace functions of a dispatcher program (freplace), and the kernel lets a device-bound program replace functions only of a program bound to the same device; attach it alone',
      );
      if (components.some((c) => c.program === a.program))
        throw new XdpchainError('EEXIST', `${a.program.name} (id ${a.program.id}) already runs in ${dev.name}'s dispatcher`);
      const rc = a.program.spec.runConfig;
      components.push({
        program: a.program,
        priority: a.priority ?? rc?.priority ?? DEFAULT_RUN_PRIORITY,
        chainCallActions: [...new Set(a.chainCallActions ?? rc?.chainCallActions ?? DEFAULT_CHAIN_ACTIONS)].sort((x, y) => x - y),
        sequence: this.sequence++,
      });
    }
    if (components.length > slots) {
      throw new XdpchainError(
        'E2BIG',
        `${dev.name}'s dispatcher has ${slots} slots; ${components.length} programs do not fit (raise the slot count, at most ${MAX_DISPATCHER_SLOTS})`,
      );
    }
    return this.install(dev, { mode, slots, components: orderComponents(components) }, { program: opts.dispatcherId, map: opts.configMapId });
  }

  /** Remove components (by program); the last one removed detaches the dispatcher. */
  remove(dev: Netdev, programs: Program[] | 'all'): void {
    const current = this.states.get(dev);
    if (!current) throw new XdpchainError('ENOENT', `${dev.name} has no dispatcher`);
    const keep = programs === 'all' ? [] : current.components.filter((c) => !programs.includes(c.program));
    if (programs !== 'all') {
      for (const p of programs)
        if (!current.components.some((c) => c.program === p))
          throw new XdpchainError('ENOENT', `${p.name} (id ${p.id}) does not run in ${dev.name}'s dispatcher`);
    }
    if (keep.length === 0) {
      this.swap(dev, dev.hook, null);
      this.release(current);
      this.states.delete(dev);
      return;
    }
    this.install(dev, { mode: current.mode, slots: current.slots, components: keep });
  }

  /** Build the dispatcher for `next.components`, swap it in, and release the previous one. */
  private install(dev: Netdev, next: NextState, ids: { program?: number; map?: number } = {}): DispatcherState {
    const current = this.states.get(dev);
    if (next.mode === 'callx' && current?.mode === 'callx' && current.dispatcher && current.slots === next.slots && next.components.length > 1) {
      // The table is the only thing that changes: one write swaps every component at once.
      current.components = next.components;
      current.config!.loaderUpdate(new Uint8Array(4), this.callxTable(next));
      return current;
    }
    for (;;) {
      const previous = this.states.get(dev);
      const expected = dev.hook;
      const state = this.build(next, ids);
      const hook = new DispatcherHook(state, new ProgramHook(state.dispatcher ?? state.components[0].program, this.rt.executor));
      if (dev.hook !== expected) {
        // Lost a race with another writer: throw this build away and start again.
        this.release(state);
        continue;
      }
      this.swap(dev, expected, hook);
      if (previous) this.release(previous);
      this.states.set(dev, state);
      return state;
    }
  }

  private swap(dev: Netdev, expected: XdpHook | null, hook: XdpHook | null): void {
    if (dev.hook !== expected) throw new XdpchainError('EAGAIN', `${dev.name}'s hook changed during the swap`);
    this.rt.xdp.setHook(dev, hook, true);
  }

  private callxTable(next: NextState): Uint8Array {
    return encodeCallxTable(
      next.slots,
      next.components.map((c) => ({ address: functionAddress(c.program.executable.uid, 0), mask: mask(c.chainCallActions) })),
    );
  }

  private build(next: NextState, ids: { program?: number; map?: number }): DispatcherState {
    const { mode, slots, components } = next;
    if (components.length === 1) return { mode, slots, components, dispatcher: null, config: null, links: [] };
    if (mode === 'callx') {
      const { program, table } = callxDispatcherProgram(slots);
      const coll = this.rt.loadCollection(
        { programs: new Map([[program.name, program]]), maps: new Map([[table.name, { ...table, initialData: this.callxTable(next) }]]), license: 'GPL' },
        { ...(ids.program ? { programIds: new Map([[program.name, ids.program]]) } : {}), ...(ids.map ? { mapIds: new Map([[table.name, ids.map]]) } : {}) },
      );
      return { mode, slots, components, dispatcher: coll.program(program.name), config: coll.map(table.name), links: [] };
    }
    const { program, config } = dispatcherProgram(slots, {
      enabled: components.length,
      chainCallActions: components.map((c) => mask(c.chainCallActions)),
      runPriorities: components.map((c) => c.priority),
      programFlags: components.map(() => 0),
      frags: components.every((c) => c.program.hasFrags),
    });
    const coll = this.rt.loadCollection(
      { programs: new Map([[program.name, program]]), maps: new Map([[config.name, config]]), license: 'GPL' },
      {
        ...(ids.program ? { programIds: new Map([[program.name, ids.program]]) } : {}),
        ...(ids.map ? { mapIds: new Map([[config.name, ids.map]]) } : {}),
      },
    );
    const dispatcher = coll.program(program.name);
    const links = components.map((c, k) => this.rt.replaceWith(dispatcher, slotFunction(k), c.program, `dispatcher ${dispatcher.id}`));
    return { mode, slots, components, dispatcher, config: coll.map(config.name), links };
  }

  private release(state: DispatcherState): void {
    for (const l of state.links) this.rt.links.detach(l.id);
    if (state.dispatcher) this.rt.unloadProgram(state.dispatcher);
    if (state.config) this.rt.closeMap(state.config);
  }
}
