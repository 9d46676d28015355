import type { RunState } from '../vm/run-state.js';
import type { XdpBuffer } from '../xdp/buffer.js';
import type { HookObserver } from '../xdp/fabric.js';
import type { Netdev } from '../xdp/netdev.js';
import type { Program } from './program.js';
import type { ProgramObserver } from './stats.js';

/** Something that watches every program run and every hook (a packet capture, xdpdump's). */
export type RunObserver = ProgramObserver & HookObserver;

/** Several observers behind one: what the executor and the fabric call while any are added. */
export class ObserverSet implements RunObserver {
  readonly active: RunObserver[] = [];

  add(o: RunObserver): void {
    this.active.push(o);
  }
  started(p: Program, s: RunState): void {
    for (const o of this.active) o.started(p, s);
  }
  finished(p: Program, s: RunState, r: number | undefined): void {
    for (const o of this.active) o.finished(p, s, r);
  }
  before(d: Netdev, b: XdpBuffer): void {
    for (const o of this.active) o.before(d, b);
  }
  after(d: Netdev, b: XdpBuffer, a: number): void {
    for (const o of this.active) o.after(d, b, a);
  }
}
