import { ProgArrayMap } from '../maps/prog-array.js';
import type { HelperCall, HelperSpec } from '../vm/helper.js';
import { mapArg } from './maps.js';
import type { HelperServices } from './services.js';
import { Printk } from './trace.js';
import { inlineLoop, inlineSpinLock, inlineTailCall } from '../vm/wasm/inline-xdp.js';

const EINVAL = -22;
const E2BIG = -7;
const MAX_LOOPS = 1 << 23;
const MAX_VPRINTK_ARGS = 12;

function setLockWord(c: HelperCall, value: number): number {
  const a = c.space.check(c.addr(1), 4, true);
  c.space.dv.setUint32(a, value, true);
  return 0;
}

/** Control flow and locking: tail calls, bpf_loop, spin locks; plus bpf_trace_vprintk. */
export function controlHelpers(s: HelperServices): HelperSpec[] {
  const printk = new Printk(s);
  return [
    {
      id: 12,
      name: 'bpf_tail_call',
      fn: () => 0,
      wasm: inlineTailCall,
      tailCall: (c) => {
        const map = mapArg(s, c, 2);
        if (!(map instanceof ProgArrayMap)) c.fault(`map ${map.spec.name} (${map.spec.type}) is not a program array`);
        return c.hi(3) !== 0 ? undefined : (map as ProgArrayMap).get(c.lo(3))?.executable;
      },
    },
    {
      id: 181,
      name: 'bpf_loop',
      wasm: inlineLoop,
      fn: (c) => {
        if (c.lo(4) !== 0 || c.hi(4) !== 0) return EINVAL;
        const n = c.lo(1);
        // With flags 0 the kernel inlines bpf_loop, and its inlined code sets w0 = -E2BIG with a
        // 32-bit move: the error arrives zero-extended (observed on kernel 6.18).
        if (n > MAX_LOOPS) return E2BIG >>> 0;
        const fnAddr = c.u64(2);
        const ctx = c.u64(3);
        for (let i = 0; i < n; i++) {
          if (c.callFunction(fnAddr, [i, ctx]) !== 0n) return i + 1;
        }
        return n;
      },
    },
    // One CPU runs at a time here, so a lock only records its state: 1 held (x86's locked value), 0 free.
    { id: 93, name: 'bpf_spin_lock', fn: (c) => setLockWord(c, 1), wasm: inlineSpinLock },
    { id: 94, name: 'bpf_spin_unlock', fn: (c) => setLockWord(c, 0), wasm: inlineSpinLock },
    {
      id: 177,
      name: 'bpf_trace_vprintk',
      fn: (c) => {
        const size = c.lo(2);
        const dataLen = c.lo(4);
        if (size === 0 || dataLen % 8 !== 0 || dataLen > MAX_VPRINTK_ARGS * 8) return EINVAL;
        return printk.print(c, c.addr(1), size, { arg: 3, count: dataLen / 8 }, MAX_VPRINTK_ARGS);
      },
    },
  ];
}
