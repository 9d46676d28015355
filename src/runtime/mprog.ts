import { XdpchainError } from '../errors/index.js';
import type { XdpBuffer } from '../xdp/buffer.js';
import { XdpAction } from '../xdp/constants.js';
import type { HookVerdict, Netdev, XdpHook } from '../xdp/netdev.js';
import type { Link } from './link.js';
import type { Program } from './program.js';
import { checkBoundTo } from './dev-bound.js';
import type { Runtime } from './runtime.js';

/** At most this many programs per hook (the kernel's bpf_mprog limit). */
export const MPROG_MAX = 63;
/** tcx's "continue" code, accepted from XDP programs too. */
const MPROG_NEXT = 0xffffffff;

/** A position anchor: a program or a link already in the list. */
export type MprogAnchor = { program: Program } | { link: number };

export interface MprogAttachOptions {
  /** Insert before this entry (or first, with `true`). */
  before?: MprogAnchor | true;
  /** Insert after this entry (or last, with `true`). */
  after?: MprogAnchor | true;
  /** Replace this program in place. */
  replace?: Program;
  /** Refuse (ESTALE) unless the list is still at this revision. */
  expectedRevision?: number;
  /** Attach through a link (which then owns the entry) and return it. */
  link?: boolean;
  /** With `link`: a saved link id to reuse. */
  linkId?: number;
}

export interface MprogEntry {
  program: Program;
  link?: Link;
}

/**
 * The hook: programs in order; XDP_PASS (or tcx's -1, "next") lets the next one run, any other
 * verdict ends the run; if every program continued, the result is XDP_PASS.
 */
export class MprogHook implements XdpHook {
  readonly entries: MprogEntry[] = [];
  revision = 1;

  constructor(private readonly rt: Runtime) {}

  get description(): string {
    return `mprog list (revision ${this.revision}) of ${this.entries.length} programs`;
  }

  run(buffer: XdpBuffer): HookVerdict {
    for (const e of this.entries) {
      const r = this.rt.executor.run(e.program, buffer);
      if (r.fault) return { action: XdpAction.ABORTED, error: r.fault };
      if (r.retval !== XdpAction.PASS && r.retval !== MPROG_NEXT) return { action: r.retval };
    }
    return { action: XdpAction.PASS };
  }
}

const describeAnchor = (a: MprogAnchor): string => ('program' in a ? `program ${a.program.name} (id ${a.program.id})` : `link ${a.link}`);

/** Ordered multi-program attachment per device, with the kernel's bpf_mprog rules and errnos. */
export class XdpMprogs {
  private readonly hooks = new Map<Netdev, MprogHook>();

  constructor(private readonly rt: Runtime) {}

  hook(dev: Netdev): MprogHook | undefined {
    return this.hooks.get(dev);
  }

  devices(): Netdev[] {
    return [...this.hooks.keys()];
  }

  private indexOf(h: MprogHook, a: MprogAnchor): number {
    const i = h.entries.findIndex((e) => ('program' in a ? e.program === a.program : e.link?.id === a.link));
    if (i < 0) throw new XdpchainError('ENOENT', `${describeAnchor(a)} is not in the list`);
    return i;
  }

  private checkRevision(h: MprogHook | undefined, expected: number | undefined, dev: Netdev): void {
    const current = h?.revision ?? 1;
    if (expected !== undefined && expected !== 0 && expected !== current) {
      throw new XdpchainError('ESTALE', `${dev.name}'s program list is at revision ${current}, not the expected ${expected}; query it again`);
    }
  }

  /** Where a new entry goes, given before/after constraints (both must agree, else ERANGE). */
  private position(h: MprogHook, opts: MprogAttachOptions): number {
    const candidates: number[] = [];
    if (opts.before !== undefined) candidates.push(opts.before === true ? 0 : this.indexOf(h, opts.before));
    if (opts.after !== undefined) candidates.push(opts.after === true ? h.entries.length : this.indexOf(h, opts.after) + 1);
    if (candidates.length === 2 && candidates[0] !== candidates[1]) {
      throw new XdpchainError('ERANGE', 'the before and after anchors are not neighbours, so no position satisfies both');
    }
    return candidates[0] ?? h.entries.length;
  }

  attach(dev: Netdev, prog: Program, opts: MprogAttachOptions = {}): { revision: number; link?: Link } {
    if (prog.type !== 'xdp' || prog.attachType !== 'xdp')
      throw new XdpchainError('EINVAL', `${prog.name} (id ${prog.id}) is not an XDP program for a device hook`);
    checkBoundTo(prog, dev);
    let h = this.hooks.get(dev);
    if (!h && dev.hook) throw new XdpchainError('EBUSY', `${dev.name} already runs ${dev.hook.description}; remove it first`);
    this.checkRevision(h, opts.expectedRevision, dev);
    const fresh = !h;
    h ??= new MprogHook(this.rt);
    if (h.entries.some((e) => e.program === prog)) throw new XdpchainError('EEXIST', `${prog.name} (id ${prog.id}) is already in ${dev.name}'s list`);
    let index: number;
    if (opts.replace) {
      index = this.indexOf(h, { program: opts.replace });
      if (h.entries[index].link)
        throw new XdpchainError(
          'EBUSY',
          `${opts.replace.name} (id ${opts.replace.id}) is attached through link ${h.entries[index].link!.id}; update the link instead`,
        );
      if (opts.before !== undefined || opts.after !== undefined) {
        const at = this.position({ entries: h.entries.filter((_, i) => i !== index) } as MprogHook, opts);
        if (at !== index) throw new XdpchainError('ERANGE', 'the replaced program is not where the before/after anchors say');
      }
    } else {
      if (h.entries.length >= MPROG_MAX) throw new XdpchainError('ERANGE', `${dev.name}'s list already holds the maximum of ${MPROG_MAX} programs`);
      index = this.position(h, opts);
    }
    const entry: MprogEntry = { program: prog };
    if (opts.link) {
      const link: Link = {
        id: this.rt.links.allocateId(opts.linkId),
        kind: 'xdp',
        program: prog,
        ownedBy: `program list of ${dev.name}`,
        describe: () => ({ ifindex: dev.ifindex, device: dev.name, mode: 'mprog' }),
        close: () => this.remove(dev, entry),
      };
      entry.link = this.rt.links.add(link);
    }
    if (opts.replace) h.entries[index] = entry;
    else h.entries.splice(index, 0, entry);
    if (fresh) {
      this.rt.xdp.setHook(dev, h);
      this.hooks.set(dev, h);
    }
    h.revision++;
    return { revision: h.revision, ...(entry.link ? { link: entry.link } : {}) };
  }

  /** Detach a program attached without a link (link-owned entries go with `link detach`). */
  detach(dev: Netdev, prog: Program, opts: { before?: MprogAnchor; after?: MprogAnchor; expectedRevision?: number } = {}): number {
    const h = this.hooks.get(dev);
    if (!h) throw new XdpchainError('ENOENT', `${dev.name} has no program list`);
    this.checkRevision(h, opts.expectedRevision, dev);
    const i = this.indexOf(h, { program: prog });
    if (h.entries[i].link) throw new XdpchainError('EBUSY', `${prog.name} (id ${prog.id}) is attached through link ${h.entries[i].link!.id}; detach the link`);
    if (opts.before && this.indexOf(h, opts.before) !== i + 1)
      throw new XdpchainError('ERANGE', `${prog.name} is not right before ${describeAnchor(opts.before)}`);
    if (opts.after && this.indexOf(h, opts.after) !== i - 1) throw new XdpchainError('ERANGE', `${prog.name} is not right after ${describeAnchor(opts.after)}`);
    this.remove(dev, h.entries[i]);
    return h.revision;
  }

  private remove(dev: Netdev, entry: MprogEntry): void {
    const h = this.hooks.get(dev);
    if (!h) return;
    const i = h.entries.indexOf(entry);
    if (i < 0) return;
    h.entries.splice(i, 1);
    h.revision++;
    if (h.entries.length === 0) {
      this.hooks.delete(dev);
      this.rt.xdp.setHook(dev, null);
    }
  }
}
