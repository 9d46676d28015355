import type { HelperSpec } from '../vm/helper.js';
import { xdpBufferOf } from './xdp-context.js';
import { inlineFrameHelper, inlinePacketBytes } from '../vm/wasm/inline-xdp.js';

/** Signed 32-bit view of an int argument (offsets and deltas are `int` in the kernel). */
const int32 = (u: number): number => u | 0;

/** Helpers that reshape or copy the XDP frame (kernel net/core/filter.c semantics). */
export const xdpPacketHelpers: HelperSpec[] = [
  { id: 44, name: 'bpf_xdp_adjust_head', fn: (c) => xdpBufferOf(c, 'bpf_xdp_adjust_head').adjustHead(int32(c.lo(2))), wasm: inlineFrameHelper },
  { id: 54, name: 'bpf_xdp_adjust_meta', fn: (c) => xdpBufferOf(c, 'bpf_xdp_adjust_meta').adjustMeta(int32(c.lo(2))), wasm: inlineFrameHelper },
  { id: 65, name: 'bpf_xdp_adjust_tail', fn: (c) => xdpBufferOf(c, 'bpf_xdp_adjust_tail').adjustTail(int32(c.lo(2))), wasm: inlineFrameHelper },
  { id: 188, name: 'bpf_xdp_get_buff_len', fn: (c) => xdpBufferOf(c, 'bpf_xdp_get_buff_len').totalLength, wasm: inlineFrameHelper },
  {
    id: 189,
    name: 'bpf_xdp_load_bytes',
    wasm: inlinePacketBytes,
    fn: (c) => {
      const xdp = xdpBufferOf(c, 'bpf_xdp_load_bytes');
      const offset = c.lo(2);
      const len = c.lo(4);
      const at = xdp.pointer(offset, len);
      if (at < 0) return at;
      xdp.copyAt(offset, c.space.check(c.addr(3), len, true), len, 'load');
      return 0;
    },
  },
  {
    id: 190,
    name: 'bpf_xdp_store_bytes',
    wasm: inlinePacketBytes,
    fn: (c) => {
      const xdp = xdpBufferOf(c, 'bpf_xdp_store_bytes');
      const offset = c.lo(2);
      const len = c.lo(4);
      const at = xdp.pointer(offset, len);
      if (at < 0) return at;
      xdp.copyAt(offset, c.space.check(c.addr(3), len), len, 'store');
      return 0;
    },
  },
];
