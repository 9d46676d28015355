import type { ConntrackTuple } from '../conntrack/tuple.js';
import type { Session, StateExtension } from './session.js';
import { arrayOf, bool, count, hex as hexBytes, num, object } from './validate.js';

/** A tuple with its addresses as the 16 bytes of union nf_inet_addr, in hex. */
interface SavedTuple {
  l3num: number;
  protonum: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

/** One connection of the table, as the state directory keeps it. */
export interface SavedConntrackEntry {
  original: SavedTuple;
  reply: SavedTuple;
  zone: { id: number; flags: number; dir: number };
  status: number;
  mark: number;
  tcpState: number;
  /** A NAT source mapping was set up (the kernel's bysource hash). */
  bysource: boolean;
  /** When it expires, in milliseconds since the epoch: jiffies do not survive the process. */
  expiresAt: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

function saveTuple(t: ConntrackTuple): SavedTuple {
  return { l3num: t.l3num, protonum: t.protonum, src: hex(t.src), dst: hex(t.dst), sport: t.sport, dport: t.dport };
}

function loadTuple(t: SavedTuple, dir: number): ConntrackTuple {
  return { ...t, src: unhex(t.src), dst: unhex(t.dst), dir };
}

const savedTuple = object({ l3num: count, protonum: count, src: hexBytes, dst: hexBytes, sport: count, dport: count });

/**
 * Keeps the conntrack table across invocations: the entries in the table (not those a program
 * allocated and never inserted), each with the wall-clock time it expires, so the time between
 * invocations counts and entries that expired meanwhile are not restored.
 */
export const conntrackState: StateExtension = {
  key: 'conntrack',
  schema: arrayOf(
    object({
      original: savedTuple,
      reply: savedTuple,
      zone: object({ id: count, flags: count, dir: count }),
      status: count,
      mark: count,
      tcpState: count,
      bysource: bool,
      expiresAt: num,
    }),
  ),
  capture(s: Session): SavedConntrackEntry[] {
    const table = s.rt.conntrack;
    const now = table.now();
    return table.entries().map((e) => ({
      original: saveTuple(e.original),
      reply: saveTuple(e.reply),
      zone: { ...e.zone },
      status: e.status,
      mark: e.mark,
      tcpState: e.tcpState,
      bysource: e.bysource > 0,
      expiresAt: Date.now() + Math.round((((e.timeout - now) | 0) * 1000) / table.hz),
    }));
  },
  restore(s: Session, saved: unknown): void {
    const table = s.rt.conntrack;
    for (const e of saved as SavedConntrackEntry[]) {
      const left = Math.ceil(((e.expiresAt - Date.now()) * table.hz) / 1000);
      if (left <= 0) continue;
      table.restore(
        { original: loadTuple(e.original, 0), reply: loadTuple(e.reply, 1), zone: e.zone, status: e.status, mark: e.mark, tcpState: e.tcpState, timeout: left },
        e.bysource,
      );
    }
  },
};
