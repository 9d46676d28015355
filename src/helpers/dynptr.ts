import { ERRNO } from '../errors/errno.js';
import type { ArgIndex, HelperCall, HelperSpec } from '../vm/helper.js';
import type { XdpBuffer } from '../xdp/buffer.js';
import { kt, type KfuncSpec } from './kfunc.js';
import { xdpBufferOf } from './xdp-context.js';

/**
 * XDP dynptrs: bpf_dynptr_from_xdp and the kfuncs and helpers that work on the dynptr it makes
 * (kernel/bpf/helpers.c, net/core/filter.c semantics).
 *
 * The 16-byte `struct bpf_dynptr` lives on the program's stack and holds what the kernel's
 * `bpf_dynptr_kern` holds, in the same places: the data pointer (u64 at 0), size | type << 28 |
 * read-only << 31 (u32 at 8), offset (u32 at 12). Data is the address of the run's `xdp_md`, which
 * is what the kernel stores too (the program's context pointer is the xdp_buff). Keeping the
 * kernel's layout means a clone is a copy of the 16 bytes and a dynptr the program copies or
 * inspects behaves as on the kernel; both engines reach it through the same functions, so they
 * agree. The verifier guarantees the kernel a well-formed dynptr; here a dynptr whose data is
 * neither 0 nor this run's context, or whose type is not XDP, ends the run with a fault.
 */

/** sizeof(struct bpf_dynptr). */
export const DYNPTR_BYTES = 16;
const SIZE_MASK = 0xffffff;
const TYPE_SHIFT = 28;
const RDONLY_BIT = 0x80000000;
/** enum bpf_dynptr_type: BPF_DYNPTR_TYPE_XDP. */
export const BPF_DYNPTR_TYPE_XDP = 4;

const { EINVAL, E2BIG, ERANGE } = ERRNO;

/** A dynptr's fields, as bpf_dynptr_kern holds them. */
export interface DynptrFields {
  /** Address of the data (the run's xdp_md for an XDP dynptr); 0 for a null dynptr. */
  data: number;
  size: number;
  offset: number;
  type: number;
  rdonly: boolean;
}

/** Write the dynptr `d` at `at` of `dv` (16 zero bytes for null, as bpf_dynptr_set_null leaves it). */
function writeDynptr(dv: DataView, at: number, d: DynptrFields | null): void {
  dv.setUint32(at, d ? d.data : 0, true);
  dv.setUint32(at + 4, 0, true);
  dv.setUint32(at + 8, d ? ((d.size & SIZE_MASK) | (d.type << TYPE_SHIFT) | (d.rdonly ? RDONLY_BIT : 0)) >>> 0 : 0, true);
  dv.setUint32(at + 12, d ? d.offset : 0, true);
}

/** The fields of the dynptr at `at` of `dv`, and the high word of its data pointer. */
function readDynptr(dv: DataView, at: number): { fields: DynptrFields; dataHigh: number } {
  const word = dv.getUint32(at + 8, true);
  return {
    fields: {
      data: dv.getUint32(at, true),
      size: word & SIZE_MASK,
      offset: dv.getUint32(at + 12, true),
      type: (word & ~RDONLY_BIT) >>> TYPE_SHIFT,
      rdonly: (word & RDONLY_BIT) !== 0,
    },
    dataHigh: dv.getUint32(at + 4, true),
  };
}

/** The 16 bytes of a dynptr with these fields. */
export function encodeDynptr(d: DynptrFields | null): Uint8Array {
  const out = new Uint8Array(DYNPTR_BYTES);
  writeDynptr(new DataView(out.buffer), 0, d);
  return out;
}

/** The fields of the dynptr in `bytes` (16 of them). */
export function decodeDynptr(bytes: Uint8Array): { fields: DynptrFields; dataHigh: number } {
  return readDynptr(new DataView(bytes.buffer, bytes.byteOffset, DYNPTR_BYTES), 0);
}

/** A live dynptr argument: where it is, its fields, and the XDP buffer it points into. */
interface DynptrArg {
  addr: number;
  fields: DynptrFields;
  xdp: XdpBuffer;
}

/**
 * The dynptr argument `i` of a call, or null when it is a null dynptr. Faults when the 16 bytes
 * are not readable (writable, for `write`) or do not hold a dynptr of this run.
 */
function dynptrArg(c: HelperCall, i: ArgIndex, fn: string, write = false): DynptrArg | null {
  const addr = c.space.check(c.addr(i), DYNPTR_BYTES, write);
  const { fields, dataHigh } = readDynptr(c.space.dv, addr);
  if (fields.data === 0 && dataHigh === 0) return null;
  const xdp = xdpBufferOf(c, fn);
  if (dataHigh !== 0 || fields.data !== xdp.ctx.addr) {
    c.fault(
      `${fn}: the dynptr at 0x${addr.toString(16)} points to 0x${((BigInt(dataHigh) << 32n) | BigInt(fields.data)).toString(16)}, not to this run's context: it was not made by bpf_dynptr_from_xdp in this run, or the program overwrote it (the kernel's verifier refuses both)`,
    );
  }
  if (fields.type !== BPF_DYNPTR_TYPE_XDP)
    c.fault(`${fn}: the dynptr at 0x${addr.toString(16)} has type ${fields.type}, not BPF_DYNPTR_TYPE_XDP (${BPF_DYNPTR_TYPE_XDP}): the program overwrote it`);
  return { addr, fields, xdp };
}

function store(c: HelperCall, addr: number, d: DynptrFields | null): void {
  writeDynptr(c.space.dv, addr, d);
}

/** Argument i is 0 (NULL, or flags 0) in all 64 bits. */
const isZero = (c: HelperCall, i: ArgIndex): boolean => c.lo(i) === 0 && c.hi(i) === 0;

/** bpf_dynptr_check_off_len: `len` bytes at `offset` fit in the dynptr's view. */
const fits = (d: DynptrFields, offset: number, len: number): boolean => len <= d.size && offset <= d.size - len;

/** Offset in the packet of `offset` in the dynptr's view (u32 arithmetic, as the kernel's). */
const packetOffset = (d: DynptrFields, offset: number): number => (d.offset + offset) >>> 0;

/** bpf_dynptr_slice / bpf_dynptr_slice_rdwr. */
function slice(c: HelperCall, fn: string, writable: boolean): number {
  const p = dynptrArg(c, 1, fn);
  if (!p || (writable && p.fields.rdonly)) return 0;
  const offset = c.lo(2);
  const len = c.lo(4);
  if (!fits(p.fields, offset, len)) return 0;
  const at = packetOffset(p.fields, offset);
  // A range in one piece of the frame is handed out directly; -EFAULT/-EINVAL from
  // bpf_xdp_pointer, like a range across pieces, falls back to copying into the buffer.
  const direct = p.xdp.pointer(at, len);
  if (direct > 0) return direct;
  if (isZero(c, 3)) return 0;
  const buffer = c.space.check(c.addr(3), len, true);
  p.xdp.copyAt(at, buffer, len, 'load');
  return buffer;
}

/** The dynptr kfuncs of XDP programs, with the kernel's prototypes (vmlinux BTF, Linux 6.18). */
export function dynptrKfuncs(): Omit<KfuncSpec, 'id'>[] {
  const dynptr = kt.ptr('bpf_dynptr');
  const p = { name: 'p', type: dynptr };
  const bool = kt.u8;
  const sliceProto = {
    params: [p, { name: 'offset', type: kt.u32 }, { name: 'buffer__opt', type: kt.mem }, { name: 'buffer__szk', type: kt.u32 }],
    returns: kt.mem,
  };
  return [
    {
      name: 'bpf_dynptr_from_xdp',
      prototype: {
        params: [
          { name: 'x', type: kt.ptr('xdp_md') },
          { name: 'flags', type: kt.u64 },
          { name: 'ptr__uninit', type: dynptr },
        ],
        returns: kt.int,
      },
      fn: (c) => {
        const fn = 'bpf_dynptr_from_xdp';
        const xdp = xdpBufferOf(c, fn);
        if (c.hi(1) !== 0 || c.lo(1) !== xdp.ctx.addr) c.fault(`${fn}: argument 1 is not the program's context (0x${c.u64(1).toString(16)})`);
        const addr = c.space.check(c.addr(3), DYNPTR_BYTES, true);
        if (!isZero(c, 2)) {
          store(c, addr, null);
          return -EINVAL;
        }
        store(c, addr, { data: xdp.ctx.addr, size: xdp.totalLength, offset: 0, type: BPF_DYNPTR_TYPE_XDP, rdonly: false });
        return 0;
      },
    },
    { name: 'bpf_dynptr_slice', prototype: sliceProto, fn: (c) => slice(c, 'bpf_dynptr_slice', false) },
    { name: 'bpf_dynptr_slice_rdwr', prototype: sliceProto, fn: (c) => slice(c, 'bpf_dynptr_slice_rdwr', true) },
    {
      name: 'bpf_dynptr_adjust',
      prototype: { params: [p, { name: 'start', type: kt.u32 }, { name: 'end', type: kt.u32 }], returns: kt.int },
      fn: (c) => {
        const d = dynptrArg(c, 1, 'bpf_dynptr_adjust', true);
        const start = c.lo(2);
        const end = c.lo(3);
        if (!d || start > end) return -EINVAL;
        if (start > d.fields.size || end > d.fields.size) return -ERANGE;
        store(c, d.addr, { ...d.fields, offset: packetOffset(d.fields, start), size: end - start });
        return 0;
      },
    },
    { name: 'bpf_dynptr_is_null', prototype: { params: [p], returns: bool }, fn: (c) => (dynptrArg(c, 1, 'bpf_dynptr_is_null') ? 0 : 1) },
    { name: 'bpf_dynptr_is_rdonly', prototype: { params: [p], returns: bool }, fn: (c) => (dynptrArg(c, 1, 'bpf_dynptr_is_rdonly')?.fields.rdonly ? 1 : 0) },
    {
      name: 'bpf_dynptr_size',
      prototype: { params: [p], returns: kt.u32 },
      // The kernel returns -EINVAL from a function typed __u32: r0 holds 0xffffffea.
      fn: (c) => dynptrArg(c, 1, 'bpf_dynptr_size')?.fields.size ?? -EINVAL >>> 0,
    },
    {
      name: 'bpf_dynptr_clone',
      prototype: { params: [p, { name: 'clone__uninit', type: dynptr }], returns: kt.int },
      fn: (c) => {
        const d = dynptrArg(c, 1, 'bpf_dynptr_clone');
        const to = c.space.check(c.addr(2), DYNPTR_BYTES, true);
        store(c, to, d?.fields ?? null);
        return d ? 0 : -EINVAL;
      },
    },
  ];
}

/** The dynptr helpers (ids from linux/bpf.h's helper list) on an XDP dynptr. */
export const dynptrHelpers: HelperSpec[] = [
  {
    id: 201,
    name: 'bpf_dynptr_read',
    fn: (c) => {
      const d = dynptrArg(c, 3, 'bpf_dynptr_read');
      if (!d || !isZero(c, 5)) return -EINVAL;
      const len = c.lo(2);
      const offset = c.lo(4);
      if (!fits(d.fields, offset, len)) return -E2BIG;
      const at = packetOffset(d.fields, offset);
      const err = d.xdp.pointer(at, len);
      if (err < 0) return err;
      if (len > 0) d.xdp.copyAt(at, c.space.check(c.addr(1), len, true), len, 'load');
      return 0;
    },
  },
  {
    id: 202,
    name: 'bpf_dynptr_write',
    fn: (c) => {
      const d = dynptrArg(c, 1, 'bpf_dynptr_write');
      if (!d || d.fields.rdonly) return -EINVAL;
      const offset = c.lo(2);
      const len = c.lo(4);
      if (!fits(d.fields, offset, len)) return -E2BIG;
      if (!isZero(c, 5)) return -EINVAL;
      const at = packetOffset(d.fields, offset);
      const err = d.xdp.pointer(at, len);
      if (err < 0) return err;
      if (len > 0) d.xdp.copyAt(at, c.space.check(c.addr(3), len), len, 'store');
      return 0;
    },
  },
  {
    id: 203,
    name: 'bpf_dynptr_data',
    // XDP dynptrs hand out no data pointer: the kernel answers NULL once the dynptr is checked.
    fn: (c) => {
      dynptrArg(c, 1, 'bpf_dynptr_data');
      return 0;
    },
  },
];
