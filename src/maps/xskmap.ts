import type { MapSpec } from '../object-spec/map-spec.js';
import { type MapDeps } from './map.js';
import { ObjectSlotMap } from './object-slots.js';

/** An AF_XDP-style socket: frames redirected to it wait in its receive queue. */
export class XskSocket {
  readonly rx: Uint8Array[] = [];
  constructor(
    readonly id: number,
    readonly queueId: number,
    readonly capacity = 2048,
  ) {}

  receive(frame: Uint8Array): boolean {
    if (this.rx.length >= this.capacity) return false;
    this.rx.push(frame);
    return true;
  }
}

/** Socket "pointers" programs get from a lookup: opaque, never accessible memory. */
export const XSK_POINTER_BASE = 0x7d00_0000_0000;

/**
 * BPF_MAP_TYPE_XSKMAP: AF_XDP sockets by queue index. Sockets are created with `attach`
 * (there are no socket fds to pass as values); like the kernel, user-space lookups are refused.
 * Programs may look a slot up to test for a socket.
 */
export class XskMap extends ObjectSlotMap<XskSocket> {
  private nextSocket = 1;

  constructor(spec: MapSpec, id: number, handle: number, deps: MapDeps) {
    super(spec, id, handle, deps, true);
  }

  /** Create a socket bound to `index` (its queue id) and put it in the map. */
  attach(index: number): XskSocket {
    const sock = new XskSocket(this.nextSocket++, index);
    this.set(index, sock);
    return sock;
  }

  protected resolve(): XskSocket {
    return this.fail('EOPNOTSUPP', 'AF_XDP sockets are created with attach(), not by writing a value');
  }

  protected describe(): Uint8Array {
    return this.fail('EOPNOTSUPP', 'xskmap entries cannot be read from user space');
  }

  override lookupElem(keyAddr: number, _cpu?: number): number {
    const s = this.slots.get(this.indexAt(keyAddr));
    return s ? XSK_POINTER_BASE + s.id * 16 : 0;
  }
}
