import { missingDevice, missingProgram } from './references.js';
import type { Session, StateExtension } from './session.js';
import { arrayOf, at, count, int, nullable, object, oneOf } from './validate.js';

interface SavedDispatcher {
  ifindex: number;
  slots: number;
  mode?: 'freplace' | 'callx';
  dispatcherId: number | null;
  configMapId?: number | null;
  components: { program: number; priority: number; chainCallActions: number[] }[];
}

/** Keeps each device's dispatcher (components, priorities, actions, the dispatcher's id) across invocations. */
export const dispatcherState: StateExtension = {
  key: 'dispatchers',
  schema: arrayOf(
    object(
      {
        ifindex: count,
        slots: count,
        dispatcherId: nullable(count),
        components: arrayOf(object({ program: count, priority: int, chainCallActions: arrayOf(count) })),
      },
      { mode: oneOf('freplace', 'callx'), configMapId: nullable(count) },
    ),
  ),
  references(saved, known, path, out): void {
    (saved as SavedDispatcher[]).forEach((d, i) => {
      missingDevice(known, d.ifindex, `${at(path, i)}.ifindex`, out);
      d.components.forEach((c, j) => missingProgram(known, c.program, `${at(path, i)}.components[${j}].program`, out));
    });
  },
  capture(s: Session): SavedDispatcher[] {
    return s.rt.dispatchers.devices().map((dev) => {
      const st = s.rt.dispatchers.state(dev)!;
      return {
        ifindex: dev.ifindex,
        slots: st.slots,
        mode: st.mode,
        dispatcherId: st.dispatcher?.id ?? null,
        configMapId: st.config?.id ?? null,
        components: st.components.map((c) => ({ program: c.program.id, priority: c.priority, chainCallActions: c.chainCallActions })),
      };
    });
  },
  restore(s: Session, saved: unknown): void {
    for (const d of saved as SavedDispatcher[]) {
      const dev = s.rt.fabric.get(d.ifindex);
      s.rt.dispatchers.add(
        dev,
        d.components.map((c) => ({ program: s.program(String(c.program)), priority: c.priority, chainCallActions: c.chainCallActions })),
        { slots: d.slots, mode: d.mode ?? 'freplace', dispatcherId: d.dispatcherId ?? undefined, configMapId: d.configMapId ?? undefined },
      );
    }
  },
};
