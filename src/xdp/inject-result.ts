import { xdpActionName } from './constants.js';
import type { DeliveryKind, Netdev } from './netdev.js';

/** One hook run while a frame travelled: which device, which verdict. */
export interface HookEvent {
  device: string;
  ifindex: number;
  action: string;
  hop: number;
  error?: string;
}

/** How many hook runs on one device ended with one action. */
export interface HookCount {
  device: string;
  ifindex: number;
  action: string;
  count: number;
}

/** How many frames one device handed to its stack and to the wire. */
export interface DeliveryCount {
  device: string;
  ifindex: number;
  stack: number;
  wire: number;
}

/**
 * What an inject did. Everything is counted exactly; only the lists of single hook runs are
 * windows of bounded length, so the result stays the same size however many frames went in.
 */
export interface InjectResult {
  /** Frames read from the wire, runts included. */
  frames: number;
  /** XDP verdicts of every hook the frames reached, by action name, in order of first appearance. */
  actions: Record<string, number>;
  /** The same verdicts per device, in order of first appearance. */
  hooks: HookCount[];
  /** Hook runs in all (the frames' first hops and whatever TX and redirects led to). */
  hookRuns: number;
  /** The first hook runs in order, at most the fabric's event window of them (`hookRuns` says how many there were). */
  events: HookEvent[];
  /** Hook runs that ended in a program fault (counted as XDP_ABORTED). */
  faults: number;
  /** The first few of them, with the fault's message. */
  firstFaults: HookEvent[];
  /** Frames each device handed to its stack and its wire, for the devices that handed any. */
  delivered: DeliveryCount[];
  /** Frames dropped because they bounced between devices more than `maxHops` times. */
  loops: number;
  /** Frames from the wire shorter than an Ethernet header, dropped by the device before XDP. */
  runts: number;
}

/** Faults kept with their message in an inject's result; more are only counted. */
export const KEPT_FAULTS = 5;

/** Highest action code counted under its own name; anything else is ABORTED before it gets here. */
const ACTIONS = 5;
const ACTION_NAMES = Array.from({ length: ACTIONS }, (_, a) => xdpActionName(a));

/** Per-device counters of one inject, in plain arrays so the hot path allocates nothing. */
interface DeviceTally {
  dev: Netdev;
  /** Hook runs by action code. */
  actions: number[];
  stack: number;
  wire: number;
}

/**
 * Accumulates an inject's result frame by frame in constant memory: counters per device and
 * action, and the first `eventWindow` hook runs and first KEPT_FAULTS faults as events.
 */
export class InjectTally {
  /** Frames read from the wire, runts included. */
  frames = 0;
  /** Frames dropped for bouncing between devices too often. */
  loops = 0;
  /** Frames from the wire too short for an Ethernet header. */
  runts = 0;
  private hookRuns = 0;
  private faults = 0;
  private readonly events: HookEvent[] = [];
  private readonly firstFaults: HookEvent[] = [];
  /** Action codes in the order they first appeared (the order of `actions` in the result). */
  private readonly actionOrder: number[] = [];
  private readonly totals = new Array<number>(ACTIONS).fill(0);
  private readonly devices: DeviceTally[] = [];
  // Frames mostly stay on one device: remembering the last one saves a search per frame.
  private last: DeviceTally | undefined;

  constructor(private readonly eventWindow: number) {}

  // A plain loop, not find(): a closure over `dev` would allocate a context on every call.
  private of(dev: Netdev): DeviceTally {
    if (this.last?.dev === dev) return this.last;
    let t: DeviceTally | undefined;
    for (const d of this.devices) if (d.dev === dev) t = d;
    if (!t) {
      t = { dev, actions: new Array<number>(ACTIONS).fill(0), stack: 0, wire: 0 };
      this.devices.push(t);
    }
    this.last = t;
    return t;
  }

  /** A hook on `dev` ended with `action` (0..4) for a frame `hop` devices after it was injected. */
  hookRan(dev: Netdev, action: number, hop: number, error: Error | undefined): void {
    this.hookRuns++;
    if (this.totals[action]++ === 0) this.actionOrder.push(action);
    this.of(dev).actions[action]++;
    if (error) this.faults++;
    const keepEvent = this.events.length < this.eventWindow;
    const keepFault = error !== undefined && this.firstFaults.length < KEPT_FAULTS;
    if (!keepEvent && !keepFault) return;
    const ev: HookEvent = { device: dev.name, ifindex: dev.ifindex, action: ACTION_NAMES[action], hop };
    if (error) ev.error = error.message;
    if (keepEvent) this.events.push(ev);
    if (keepFault) this.firstFaults.push(ev);
  }

  /** `dev` handed a frame to its stack or its wire. */
  delivered(dev: Netdev, kind: DeliveryKind): void {
    this.of(dev)[kind]++;
  }

  /** The result as plain data (the lists are copies: the tally may go on counting). */
  result(): InjectResult {
    const actions: Record<string, number> = {};
    for (const a of this.actionOrder) actions[ACTION_NAMES[a]] = this.totals[a];
    const hooks: HookCount[] = [];
    for (const d of this.devices) {
      for (const a of this.actionOrder) {
        if (d.actions[a] > 0) hooks.push({ device: d.dev.name, ifindex: d.dev.ifindex, action: ACTION_NAMES[a], count: d.actions[a] });
      }
    }
    const delivered = this.devices
      .filter((d) => d.stack > 0 || d.wire > 0)
      .sort((a, b) => a.dev.ifindex - b.dev.ifindex)
      .map((d) => ({ device: d.dev.name, ifindex: d.dev.ifindex, stack: d.stack, wire: d.wire }));
    return {
      frames: this.frames,
      actions,
      hooks,
      hookRuns: this.hookRuns,
      events: [...this.events],
      faults: this.faults,
      firstFaults: [...this.firstFaults],
      delivered,
      loops: this.loops,
      runts: this.runts,
    };
  }
}
