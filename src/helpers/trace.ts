import type { HelperCall, HelperSpec } from '../vm/helper.js';
import { formatPrintf } from './printf.js';
import type { HelperServices } from './services.js';

const EINVAL = -22;
const MAX_STRING = 256;

/** Read a NUL-terminated string from program memory, at most MAX_STRING bytes. */
export function readCString(call: HelperCall, addr: bigint): string | undefined {
  if (addr <= 0n || addr >= BigInt(call.space.limit)) return undefined;
  const a = Number(addr);
  let s = '';
  for (let i = 0; i < MAX_STRING; i++) {
    if (!call.space.accessible(a + i, 1, false)) return undefined;
    const b = call.space.u8[a + i];
    if (b === 0) return s;
    s += String.fromCharCode(b);
  }
  return s;
}

export function readBytes(call: HelperCall, addr: bigint, length: number): Uint8Array | undefined {
  if (addr <= 0n || addr >= BigInt(call.space.limit)) return undefined;
  const a = Number(addr);
  return call.space.accessible(a, length, false) ? call.space.u8.slice(a, a + length) : undefined;
}

export function traceHelpers(s: HelperServices): HelperSpec[] {
  return [
    {
      id: 6,
      name: 'bpf_trace_printk',
      fn: (c) => {
        const size = c.lo(2);
        if (size === 0) return EINVAL;
        const fmtBytes = c.space.bytes(c.addr(1), size);
        const nul = fmtBytes.indexOf(0);
        if (nul < 0) return EINVAL;
        const fmt = Buffer.from(fmtBytes.subarray(0, nul)).toString('latin1');
        const text = formatPrintf(fmt, { values: [c.u64(3), c.u64(4), c.u64(5)], readString: (a) => readCString(c, a), readBytes: (a, n) => readBytes(c, a, n) });
        if (text === undefined) return EINVAL;
        s.trace({ program: c.exe.spec.name, insn: c.insn, cpu: s.cpu(), text });
        return Buffer.byteLength(text, 'latin1');
      },
    },
  ];
}
