import { missingDevice, missingProgram } from './references.js';
import type { Session, StateExtension } from './session.js';
import { arrayOf, at, count, object } from './validate.js';

interface SavedList {
  ifindex: number;
  revision: number;
  entries: { program: number; link?: number }[];
}

/** Keeps each device's ordered program list (order, links, revision) across invocations. */
export const mprogState: StateExtension = {
  key: 'mprog',
  schema: arrayOf(object({ ifindex: count, revision: count, entries: arrayOf(object({ program: count }, { link: count })) })),
  references(saved, known, path, out): void {
    (saved as SavedList[]).forEach((l, i) => {
      missingDevice(known, l.ifindex, `${at(path, i)}.ifindex`, out);
      l.entries.forEach((e, j) => missingProgram(known, e.program, `${at(path, i)}.entries[${j}].program`, out));
    });
  },
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
