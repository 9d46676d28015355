import { PerfEventArrayMap } from '../maps/perf-event-array.js';
import { RingBufMap } from '../maps/ringbuf.js';
import type { HelperCall, HelperSpec } from '../vm/helper.js';
import { mapArg } from './maps.js';
import type { HelperServices } from './services.js';
import { xdpBufferOf } from './xdp-context.js';
import { inlineRing } from '../vm/wasm/inline-maps.js';
import { inlinePerfOutput } from '../vm/wasm/inline-xdp.js';

const EINVAL = -22;
const EFAULT = -14;
/** The high word of the flags may only hold BPF_F_CTXLEN_MASK (bytes of the packet to append). */
const CTXLEN_MASK_HI = 0xfffff;

function ringbufOf(s: HelperServices, c: HelperCall): RingBufMap {
  const m = mapArg(s, c);
  if (!(m instanceof RingBufMap)) c.fault(`map ${m.spec.name} (${m.spec.type}) is not a ring buffer`);
  return m as RingBufMap;
}

/** The ring buffer holding a reserved record (submit/discard only get the record pointer). */
function ringOwning(s: HelperServices, c: HelperCall, addr: number): RingBufMap {
  for (const m of s.maps.values()) if (m instanceof RingBufMap && m.owns(addr)) return m;
  return c.fault(`0x${addr.toString(16)} is not a reserved ring buffer record (submitted twice?)`);
}

/** Perf event and ring buffer output. */
export function eventHelpers(s: HelperServices): HelperSpec[] {
  return [
    {
      id: 25,
      name: 'bpf_perf_event_output',
      wasm: inlinePerfOutput,
      fn: (c) => {
        const xdp = xdpBufferOf(c, 'bpf_perf_event_output');
        const map = mapArg(s, c, 2);
        if (!(map instanceof PerfEventArrayMap)) return c.fault(`map ${map.spec.name} (${map.spec.type}) is not a perf event array`);
        const ctxLen = c.hi(3);
        if (ctxLen & ~CTXLEN_MASK_HI) return EINVAL;
        if (ctxLen > xdp.totalLength) return EFAULT;
        const cpu = s.cpu();
        const buf = map.target(c.lo(3), cpu);
        if (typeof buf === 'number') return buf;
        const size = c.lo(5);
        const data = new Uint8Array(size + ctxLen);
        if (size) data.set(c.space.bytes(c.addr(4), size));
        if (ctxLen) xdp.copy(0, data.subarray(size), 'load');
        buf.push({ cpu, data });
        return 0;
      },
    },
    {
      id: 130,
      name: 'bpf_ringbuf_output',
      fn: (c) => {
        const ring = ringbufOf(s, c);
        const size = c.lo(3);
        return ring.output(size ? c.space.bytes(c.addr(2), size).slice() : new Uint8Array(0), c.hi(4) ? 0xffffffff : c.lo(4));
      },
    },
    { id: 131, name: 'bpf_ringbuf_reserve', fn: (c) => ringbufOf(s, c).reserve(c.hi(2) ? 0xffffffff : c.lo(2), c.hi(3) | c.lo(3)), wasm: inlineRing },
    { id: 132, name: 'bpf_ringbuf_submit', fn: (c) => (ringOwning(s, c, c.addr(1)).commit(c.addr(1), false), 0) },
    { id: 133, name: 'bpf_ringbuf_discard', fn: (c) => (ringOwning(s, c, c.addr(1)).commit(c.addr(1), true), 0) },
    { id: 134, name: 'bpf_ringbuf_query', fn: (c) => ringbufOf(s, c).query(c.hi(2) ? -1 : c.lo(2)), wasm: inlineRing },
  ];
}
