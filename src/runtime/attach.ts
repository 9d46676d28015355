import { XdpchainError } from '../errors/index.js';
import type { XdpBuffer } from '../xdp/buffer.js';
import type { HookVerdict, Netdev, XdpHook } from '../xdp/netdev.js';
import type { XdpBatchResult, XdpExecutor } from './execute.js';
import type { Link, LinkRegistry } from './link.js';
import type { Program } from './program.js';
import { checkBoundTo } from './dev-bound.js';

/** One program on a device's XDP hook (its chain calls follow it). */
export class ProgramHook implements XdpHook {
  constructor(
    readonly program: Program,
    private readonly executor: XdpExecutor,
  ) {}

  get description(): string {
    return `${this.program.name} (id ${this.program.id})`;
  }

  run(buffer: XdpBuffer): HookVerdict {
    return verdictOf(this.executor.run(this.program, buffer));
  }

  runEach(buffers: readonly XdpBuffer[], _device: Netdev, each: (i: number, verdict: HookVerdict) => void): void {
    this.executor.runEach(this.program, buffers, (i, r) => each(i, verdictOf(r)));
  }
}

const verdictOf = (r: XdpBatchResult): HookVerdict => (r.fault ? { action: r.retval, error: r.fault } : { action: r.retval });

export interface AttachOptions {
  /** Refuse when something is attached (XDP_FLAGS_UPDATE_IF_NOEXIST): EBUSY. */
  onlyIfEmpty?: boolean;
  /** Replace atomically only if this program is the one attached (XDP_FLAGS_REPLACE): EEXIST otherwise. */
  expected?: Program;
}

/**
 * Netdev XDP attachment, netlink-style and link-based, with the kernel's rules: a link owns the
 * hook (netlink-style changes are refused with EBUSY while it lives), a link update with the
 * wrong expected program is EPERM, a netlink replace with the wrong one EEXIST.
 */
export class XdpAttachments {
  private readonly owners = new Map<Netdev, Link>();

  constructor(
    private readonly executor: XdpExecutor,
    private readonly links: LinkRegistry,
  ) {}

  programOf(dev: Netdev): Program | undefined {
    return dev.hook instanceof ProgramHook ? dev.hook.program : undefined;
  }

  linkOf(dev: Netdev): Link | undefined {
    return this.owners.get(dev);
  }

  /** Netlink-style attach (ip link set dev X xdp ...). */
  attach(dev: Netdev, prog: Program, opts: AttachOptions = {}): void {
    this.checkXdp(prog, dev);
    const link = this.owners.get(dev);
    if (link) throw new XdpchainError('EBUSY', `${dev.name}'s XDP hook is held by link ${link.id}; update or detach that link instead`);
    if (dev.hook && !(dev.hook instanceof ProgramHook)) {
      throw new XdpchainError('EBUSY', `${dev.name} runs a multi-program ${dev.hook.description}; unload it first (or pass --force to replace it)`);
    }
    const current = this.programOf(dev);
    if (opts.expected && current !== opts.expected) {
      throw new XdpchainError(
        'EEXIST',
        `${dev.name} runs ${current ? `${current.name} (id ${current.id})` : 'nothing'}, not the expected ${opts.expected.name} (id ${opts.expected.id})`,
      );
    }
    if (opts.onlyIfEmpty && current) throw new XdpchainError('EBUSY', `${dev.name} already runs ${current.name} (id ${current.id})`);
    dev.hook = new ProgramHook(prog, this.executor);
  }

  /** Put any hook in place (multi-program modes), with the same ownership rules. */
  setHook(dev: Netdev, hook: XdpHook | null, force = false): void {
    const link = this.owners.get(dev);
    if (link) throw new XdpchainError('EBUSY', `${dev.name}'s XDP hook is held by link ${link.id}; detach that link first`);
    if (!force && hook && dev.hook instanceof ProgramHook) {
      throw new XdpchainError('EBUSY', `${dev.name} runs ${dev.hook.description} directly; unload it first (or force the replacement)`);
    }
    dev.hook = hook;
  }

  detach(dev: Netdev, expected?: Program): void {
    const link = this.owners.get(dev);
    if (link) throw new XdpchainError('EBUSY', `${dev.name}'s XDP hook is held by link ${link.id}; detach the link (link detach ${link.id})`);
    if (!dev.hook) throw new XdpchainError('ENOENT', `${dev.name} has no XDP program attached`);
    if (expected && this.programOf(dev) !== expected) throw new XdpchainError('EEXIST', `${dev.name} does not run ${expected.name} (id ${expected.id})`);
    dev.hook = null;
  }

  /** bpf_link_create for XDP: the link holds the hook until closed. */
  link(dev: Netdev, prog: Program, id?: number): Link {
    this.checkXdp(prog, dev);
    if (dev.hook || this.owners.has(dev))
      throw new XdpchainError('EBUSY', `${dev.name} already has an XDP program; a link can only be created on an empty hook`);
    dev.hook = new ProgramHook(prog, this.executor);
    const link: Link = {
      id: this.links.allocateId(id),
      kind: 'xdp',
      program: prog,
      describe: () => ({ ifindex: dev.ifindex, device: dev.name }),
      close: () => {
        this.owners.delete(dev);
        dev.hook = null;
      },
    };
    this.owners.set(dev, link);
    return this.links.add(link);
  }

  /** BPF_LINK_UPDATE: swap the program, only if `expected` (when given) is the current one (EPERM otherwise). */
  updateLink(link: Link, prog: Program, expected?: Program): void {
    if (link.kind !== 'xdp') throw new XdpchainError('EINVAL', `link ${link.id} is a ${link.kind} link, not an XDP link`);
    if (expected && link.program !== expected) {
      throw new XdpchainError(
        'EPERM',
        `link ${link.id} runs ${link.program.name} (id ${link.program.id}), not the expected ${expected.name} (id ${expected.id})`,
      );
    }
    const dev = [...this.owners].find(([, l]) => l === link)?.[0];
    if (!dev) throw new XdpchainError('ENOENT', `link ${link.id} is not attached`);
    this.checkXdp(prog, dev);
    dev.hook = new ProgramHook(prog, this.executor);
    link.program = prog;
  }

  /** Devices whose hook runs `prog` directly. */
  devicesRunning(prog: Program, devices: Iterable<Netdev>): Netdev[] {
    return [...devices].filter((d) => this.programOf(d) === prog);
  }

  private checkXdp(prog: Program, dev: Netdev): void {
    if (prog.type !== 'xdp') throw new XdpchainError('EINVAL', `${prog.name} (id ${prog.id}) is a ${prog.type} program, not XDP`);
    if (prog.attachType !== 'xdp')
      throw new XdpchainError('EINVAL', `${prog.name} (id ${prog.id}) was built for ${prog.attachType}, not for a device's XDP hook`);
    checkBoundTo(prog, dev);
  }
}
