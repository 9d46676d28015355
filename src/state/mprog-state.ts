import type { Session, StateExtension } from './session.js';

interface SavedList {
  ifindex: number;
  revision: number;
  entries: { program: number; link?: number }[];
}

/** Keeps each device's ordered program list (order, links, revision) across invocations. */
export const mprogState: StateExtension = {
  key: 'mprog',
  capture(s: Session): SavedList[] {
    return s.rt.mprogs.devices().map((dev) => {
      const h = s.rt.mprogs.hook(dev)!;
      return { ifindex: dev.ifindex, revision: h.revision, entries: h.entries.map((e) => ({ program: e.program.id, ...(e.link ? { link: e.link.id } : {}) })) };
    });
  },
  restore(s: Session, saved: unknown): void {
    for (const l of saved as SavedList[]) {
      const dev = s.rt.fabric.get(l.ifindex);
      for (const e of l.entries) s.rt.mprogs.attach(dev, s.program(String(e.program)), { after: true, link: e.link !== undefined, linkId: e.link });
      s.rt.mprogs.hook(dev)!.revision = l.revision;
    }
  },
};
