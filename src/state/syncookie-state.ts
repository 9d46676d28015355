import type { Session, StateExtension } from './session.js';
import { arrayOf, count } from './validate.js';

/**
 * Keeps the SYN cookie keys across invocations once a program has drawn them, as a running
 * kernel keeps its own: a SYN-ACK sent by one `xdpchain inject` is still acknowledged validly in
 * the next, while the cookie's minute counter has not moved on (the keys, not the time, are kept).
 */
export const syncookieState: StateExtension = {
  key: 'syncookies',
  schema: arrayOf(count),
  capture(s: Session): number[] | undefined {
    return s.rt.syncookies.words();
  },
  restore(s: Session, saved: unknown): void {
    s.rt.syncookies.restore(saved as number[]);
  },
};
