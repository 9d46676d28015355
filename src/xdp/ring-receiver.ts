import { i32, none, type Expr } from '../vm/wasm/emit/expr.js';
import { WasmModule } from '../vm/wasm/emit/module.js';
import type { AddressSpace } from '../vm/address-space.js';
import type { XdpBuffer } from './buffer.js';
import { XDP_FRAME_SIZE, XDP_PACKET_HEADROOM, XdpCtxHidden, XdpMdField } from './constants.js';

/** A slot's descriptor: the frame's address in wasm memory (u32), its length (u32; HOST_LOADS: skipped). */
const DESCRIPTOR_BYTES = 8;
/** A descriptor length meaning "the host loads this one" (longer than a linear frame holds). */
export const HOST_LOADS = 0xffffffff;

type ReceiveExport = (slots: number, descriptors: number, count: number, ingressIfindex: number) => void;

/** The compiled `receive` of each address space (one small module per memory). */
const compiled = new WeakMap<WebAssembly.Memory, ReceiveExport>();

/**
 * Receives frames into a ring of XdpBuffers in compiled code: for each slot, clear the headroom
 * and whatever the previous frame may have left past this one's end, copy the frame in from
 * wasm memory, and write the context, as `XdpBuffer.receive` does (the reference: the tests
 * compare the two). A capture replay reads its file into wasm memory, so frames go from the
 * file's bytes to the program without a JS call or an object per frame.
 */
export class RingReceiver {
  private readonly slots: number;
  private readonly descriptors: number;
  private readonly receive: ReceiveExport;
  private readonly ring: XdpBuffer[] = [];

  /** A receiver for up to `size` slots; `bind` gives each its buffer. */
  constructor(
    private readonly space: AddressSpace,
    private readonly size: number,
    private readonly ingressIfindex: number,
  ) {
    this.slots = space.allocPrivate(size * 4, 'ring receiver slots');
    this.descriptors = space.allocPrivate(size * DESCRIPTOR_BYTES, 'ring receiver descriptors');
    if (this.descriptors % 4 !== 0) throw new Error(`ring receiver: descriptors at ${this.descriptors} are not u32-aligned`);
    let fn = compiled.get(space.memory);
    if (!fn) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(receiveModule()), { env: { memory: space.memory } });
      fn = instance.exports.receive as ReceiveExport;
      compiled.set(space.memory, fn);
    }
    this.receive = fn;
  }

  /** Slot k receives into `buffer` from now on. */
  bind(k: number, buffer: XdpBuffer): void {
    this.ring[k] = buffer;
    this.space.dv.setUint32(this.slots + k * 4, buffer.ctx.addr, true);
  }

  /** Slot k receives `length` bytes at wasm address `address` (a length of HOST_LOADS: leave slot k alone). */
  set(k: number, address: number, length: number): void {
    // Both u32 cells through the memory's u32 view (descriptors are 8-byte aligned).
    const u32 = this.space.u32;
    const at = (this.descriptors >>> 2) + k * 2;
    u32[at] = address;
    u32[at + 1] = length;
  }

  /** Receive slots 0 .. count-1 (all bound) as `set` described them. */
  run(count: number): void {
    this.receive(this.slots, this.descriptors, count, this.ingressIfindex);
    for (let k = 0; k < count; k++) this.ring[k].forgetFrame();
  }

  /** Give the tables back. */
  free(): void {
    this.space.freePrivate(this.slots, this.size * 4);
    this.space.freePrivate(this.descriptors, this.size * DESCRIPTOR_BYTES);
  }
}

/** Parameters and locals of `receive`. */
const P = { slots: 0, descriptors: 1, count: 2, ifindex: 3 } as const;
const L = { k: 4, ctx: 5, hard: 6, start: 7, end: 8, dirty: 9, desc: 10, length: 11 } as const;

function receiveModule(): Uint8Array<ArrayBuffer> {
  const m = new WasmModule();
  m.addMemoryImport('env', 'memory', { min: 1, max: 65536 });
  const get = (l: number): Expr => m.local.get(l, i32);
  const set = (l: number, v: Expr): Expr => m.local.set(l, v);
  const k = (v: number): Expr => m.i32.const(v);
  const field = (off: number): Expr => m.i32.load(0, 4, m.i32.add(get(L.ctx), k(off)));
  const store = (off: number, v: Expr): Expr => m.i32.store(0, 4, m.i32.add(get(L.ctx), k(off)), v);
  const slot = m.block(
    null,
    [
      set(L.ctx, m.i32.load(0, 4, m.i32.add(get(P.slots), m.i32.shl(get(L.k), k(2))))),
      set(L.desc, m.i32.add(get(P.descriptors), m.i32.mul(get(L.k), k(DESCRIPTOR_BYTES)))),
      set(L.length, m.i32.load(0, 4, m.i32.add(get(L.desc), k(4)))),
      m.if(
        m.i32.ne(get(L.length), k(HOST_LOADS)),
        m.block(
          null,
          [
            set(L.hard, field(XdpCtxHidden.hardStart)),
            set(L.start, m.i32.add(get(L.hard), k(XDP_PACKET_HEADROOM))),
            set(L.end, m.i32.add(get(L.start), get(L.length))),
            // While data_end is where the last receive put it, nothing past it was written.
            set(
              L.dirty,
              m.select(
                m.i32.eq(field(XdpMdField.data_end), field(XdpCtxHidden.loadedEnd)),
                field(XdpCtxHidden.loadedEnd),
                m.i32.add(get(L.hard), k(XDP_FRAME_SIZE)),
              ),
            ),
            m.memory.fill(get(L.hard), k(0), k(XDP_PACKET_HEADROOM)),
            m.memory.copy(get(L.start), m.i32.load(0, 4, get(L.desc)), get(L.length)),
            m.if(m.i32.gt_u(get(L.dirty), get(L.end)), m.memory.fill(get(L.end), k(0), m.i32.sub(get(L.dirty), get(L.end)))),
            store(XdpCtxHidden.loadedEnd, get(L.end)),
            store(XdpMdField.data_meta, get(L.start)),
            store(XdpMdField.data, get(L.start)),
            store(XdpMdField.data_end, get(L.end)),
            store(XdpMdField.ingress_ifindex, get(P.ifindex)),
            store(XdpMdField.rx_queue_index, k(0)),
            store(XdpMdField.egress_ifindex, k(0)),
            store(XdpCtxHidden.frags, k(0)),
            store(XdpCtxHidden.redirectKind, k(0)),
            store(XdpCtxHidden.redirectTarget, k(0)),
            store(XdpCtxHidden.redirectKey, k(0)),
            store(XdpCtxHidden.redirectFlags, k(0)),
          ],
          none,
        ),
      ),
      set(L.k, m.i32.add(get(L.k), k(1))),
    ],
    none,
  );
  const body = m.block(
    null,
    [set(L.k, k(0)), m.block('done', [m.loop('slots', m.block(null, [m.br('done', m.i32.ge_u(get(L.k), get(P.count))), slot, m.br('slots')], none))], none)],
    none,
  );
  m.addFunction('receive', [i32, i32, i32, i32], none, [i32, i32, i32, i32, i32, i32, i32, i32], body);
  m.addFunctionExport('receive', 'receive');
  return m.emit();
}
