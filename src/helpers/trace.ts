import type { ArgIndex, HelperCall, HelperSpec } from '../vm/helper.js';
import { formatPrintf, MAX_TRACE_ARGS, type PrintfArgs } from './printf.js';
import type { HelperServices } from './services.js';

const EINVAL = -22;
const MAX_STRING = 256;

const address = (call: HelperCall, lo: number, hi: number): number | undefined => (hi !== 0 || lo === 0 || lo >= call.space.limit ? undefined : lo);

/** Read a NUL-terminated string from program memory (at address hi·2^32 + lo), at most MAX_STRING bytes. */
function readCString(call: HelperCall, lo: number, hi: number): string | undefined {
  const a = address(call, lo, hi);
  if (a === undefined) return undefined;
  let s = '';
  for (let i = 0; i < MAX_STRING; i++) {
    if (!call.space.accessible(a + i, 1, false)) return undefined;
    const b = call.space.u8[a + i];
    if (b === 0) return s;
    s += String.fromCharCode(b);
  }
  return s;
}

function readBytes(call: HelperCall, lo: number, hi: number, length: number): Uint8Array | undefined {
  const a = address(call, lo, hi);
  return a !== undefined && call.space.accessible(a, length, false) ? call.space.u8.slice(a, a + length) : undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Where a printk call's arguments are: r3..r5, or `count` u64s at the address in argument `arg` (bpf_trace_vprintk). */
export type PrintkArgs = 'registers' | { arg: ArgIndex; count: number };

/**
 * What bpf_trace_printk and bpf_trace_vprintk share. Programs print the same few formats on
 * every packet, so a format's text is kept by address while its bytes stay the same, and the
 * argument readers are made once rather than per call.
 */
export class Printk {
  private call!: HelperCall;
  private source: PrintkArgs = 'registers';
  /** Where the u64 arguments are, when not in registers. */
  private base = 0;
  private readonly formats = new Map<number, { bytes: Uint8Array; fmt: string | undefined }>();
  private readonly args: PrintfArgs = {
    lo: (i) => this.word(i, 0),
    hi: (i) => this.word(i, 4),
    readString: (lo, hi) => readCString(this.call, lo, hi),
    readBytes: (lo, hi, n) => readBytes(this.call, lo, hi, n),
  };

  constructor(private readonly s: HelperServices) {}

  /** Print the format of `size` bytes at `fmtAddr`: the text's length in bytes, or -EINVAL. */
  print(call: HelperCall, fmtAddr: number, size: number, source: PrintkArgs, maxArgs: number): number {
    const fmt = this.format(call, fmtAddr, size);
    if (fmt === undefined) return EINVAL;
    this.call = call;
    this.source = source;
    if (source !== 'registers' && source.count) this.base = call.space.check(call.addr(source.arg), source.count * 8);
    const text = formatPrintf(fmt, this.args, maxArgs);
    if (text === undefined) return EINVAL;
    this.s.trace({ program: call.exe.spec.name, insn: call.insn, cpu: this.s.cpu(), text });
    return text.length; // every character came from one byte
  }

  /** The format: `size` bytes holding a NUL, as text up to it; undefined when there is no NUL. */
  private format(call: HelperCall, addr: number, size: number): string | undefined {
    const bytes = call.space.bytes(addr, size);
    const known = this.formats.get(addr);
    if (known && sameBytes(known.bytes, bytes)) return known.fmt;
    const nul = bytes.indexOf(0);
    const fmt = nul < 0 ? undefined : String.fromCharCode.apply(null, bytes.subarray(0, nul) as unknown as number[]);
    if (this.formats.size >= 256) this.formats.clear();
    this.formats.set(addr, { bytes: bytes.slice(), fmt });
    return fmt;
  }

  private word(i: number, half: 0 | 4): number {
    const src = this.source;
    if (src === 'registers') return i < 3 ? (half ? this.call.hi((i + 3) as ArgIndex) : this.call.lo((i + 3) as ArgIndex)) : 0;
    return i < src.count ? this.call.space.dv.getUint32(this.base + i * 8 + half, true) : 0;
  }
}

export function traceHelpers(s: HelperServices): HelperSpec[] {
  const printk = new Printk(s);
  return [
    {
      id: 6,
      name: 'bpf_trace_printk',
      fn: (c) => {
        const size = c.lo(2);
        return size === 0 ? EINVAL : printk.print(c, c.addr(1), size, 'registers', MAX_TRACE_ARGS);
      },
    },
  ];
}
