import { XdpchainError } from '../errors/index.js';
import { isXdpRunHost } from '../helpers/xdp-context.js';
import type { Program } from '../runtime/program.js';
import type { ProgramObserver } from '../runtime/stats.js';
import type { PcapngWriter } from '../pcap/write.js';
import { PflogWriter } from './pflog.js';
import type { RunState } from '../vm/run-state.js';
import type { XdpBuffer } from '../xdp/buffer.js';
import { xdpActionName } from '../xdp/constants.js';
import type { HookObserver } from '../xdp/fabric.js';
import type { Netdev } from '../xdp/netdev.js';

export type CapturePoint = 'entry' | 'exit';

/** What to capture: a device's whole hook, or one program running on it, at entry and/or exit. */
export interface CaptureSpec {
  device: string;
  /** Program id; undefined captures the device's whole hook. */
  program?: number;
  entry: boolean;
  exit: boolean;
  /** pcapng (default), or pflog for tcpdump (src/trace/pflog.ts). */
  format?: CaptureFormat;
}

export type CaptureFormat = 'pcapng' | 'pflog';

/** One captured frame, as `dump --print` shows it. */
export interface CapturedPacket {
  device: string;
  program: string;
  programId?: number;
  point: CapturePoint;
  action?: string;
  length: number;
}

/**
 * xdpdump: frames at the entry and/or exit of a program (or of a device's whole hook) go to a
 * pcapng file, one interface per (device, program, point) named like `eth0@xdp_fw(id 3):exit`,
 * each packet commented with program, id, point and action and carrying the XDP verdict option;
 * or, for tcpdump, to a pflog pcap (src/trace/pflog.ts).
 */
export class PacketCapture implements ProgramObserver, HookObserver {
  readonly interfaces: string[];
  private readonly clockBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  count = 0;

  constructor(
    readonly spec: CaptureSpec,
    private readonly writer: PcapngWriter | PflogWriter,
    interfaces: string[] = [],
    public onPacket?: (p: CapturedPacket) => void,
  ) {
    if (!spec.entry && !spec.exit) throw new XdpchainError('EINVAL', 'capture neither at entry nor at exit: nothing to capture');
    this.interfaces = [...interfaces];
  }

  private write(device: string, who: string, programId: number | undefined, point: CapturePoint, buffer: XdpBuffer, action?: number): void {
    const data = buffer.packet();
    const actionName = action === undefined ? undefined : xdpActionName(action);
    const timestampNs = this.clockBase + process.hrtime.bigint();
    if (this.writer instanceof PflogWriter) {
      this.writer.write({
        name: programId === undefined ? device : who,
        ...(programId !== undefined ? { programId } : {}),
        point,
        ...(action !== undefined ? { action } : {}),
        data,
        timestampNs,
      });
    } else {
      const name = `${device}@${who}${programId !== undefined ? `(id ${programId})` : ''}:${point}`;
      let id = this.interfaces.indexOf(name);
      if (id < 0) {
        id = this.writer.addInterface({ name, description: `xdpchain capture of ${who} on ${device} at ${point}` });
        this.interfaces.push(name);
      }
      const comment = `${who}${programId !== undefined ? ` (id ${programId})` : ''} ${point}${actionName ? ` ${actionName}` : ''} on ${device}`;
      this.writer.writePacket({
        interfaceId: id,
        timestampNs,
        data,
        comment,
        flags: 1,
        queue: buffer.rxQueueIndex,
        ...(action !== undefined ? { xdpVerdict: action } : {}),
      });
    }
    this.count++;
    this.onPacket?.({
      device,
      program: who,
      ...(programId !== undefined ? { programId } : {}),
      point,
      ...(actionName ? { action: actionName } : {}),
      length: data.length,
    });
  }

  private matches(p: Program, state: RunState): XdpBuffer | undefined {
    if (this.spec.program !== p.id || !isXdpRunHost(state.host)) return undefined;
    const buffer = state.host.xdp;
    return buffer.device === this.spec.device ? buffer : undefined;
  }

  started(p: Program, state: RunState): void {
    if (!this.spec.entry) return;
    const b = this.matches(p, state);
    if (b) this.write(this.spec.device, p.name, p.id, 'entry', b);
  }

  finished(p: Program, state: RunState, retval: number | undefined): void {
    if (!this.spec.exit) return;
    const b = this.matches(p, state);
    if (b) this.write(this.spec.device, p.name, p.id, 'exit', b, retval);
  }

  before(dev: Netdev, buffer: XdpBuffer): void {
    if (this.spec.program === undefined && this.spec.entry && dev.name === this.spec.device) this.write(dev.name, 'xdp', undefined, 'entry', buffer);
  }

  after(dev: Netdev, buffer: XdpBuffer, action: number): void {
    if (this.spec.program === undefined && this.spec.exit && dev.name === this.spec.device) this.write(dev.name, 'xdp', undefined, 'exit', buffer, action);
  }
}
