/**
 * XDP dynptrs (progs/src/dynptr_*.c): slices, reads and writes across the linear part and the
 * fragments of multi-buffer frames, the bookkeeping kfuncs, and every error they answer.
 *
 * The probe programs take their parameters from the frame (struct dynptr_probe after the
 * Ethernet header), so one scenario covers many cases. Frames longer than 3520 bytes are
 * multi-buffer: fragments of 4096 bytes start at 3520, 7616, 11712, ...; offsets above 0xffff
 * (frames over 64 KiB) make the kernel's bpf_xdp_pointer answer -EFAULT.
 */
import { ipv4UdpFrame } from '../../../src/packet/index.js';
import type { PacketCase, Scenario } from '../scenario.js';
import { frameCase, someStandardCases, standardCases, u16le } from './common.js';

/** The probe fields after the Ethernet header (struct dynptr_probe). */
interface Probe {
  offset?: number;
  flags?: number;
  arg1?: number;
  arg2?: number;
}

/** A probe frame of `size` bytes: Ethernet (EtherType 0x88b5), the probe, then a byte pattern. */
export function probeFrame(size: number, probe: Probe): Uint8Array {
  const frame = new Uint8Array(size);
  frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5]);
  for (let i = 30; i < size; i++) frame[i] = (i * 7 + 3) & 0xff;
  const dv = new DataView(frame.buffer);
  [probe.offset ?? 0, probe.flags ?? 0, probe.arg1 ?? 0, probe.arg2 ?? 0].forEach((v, i) => {
    if (14 + i * 4 + 4 <= size) dv.setUint32(14 + i * 4, v >>> 0, true);
  });
  return frame;
}

const probeCase = (name: string, size: number, probe: Probe): PacketCase => frameCase(name, probeFrame(size, probe));

/** First byte of fragment `i` (0-based) of a multi-buffer frame. */
const frag = (i: number): number => 3520 + i * 4096;
const BIG = 65600;

const sliceCases = [
  probeCase('linear-middle', 100, { offset: 40 }),
  probeCase('linear-last-8', 100, { offset: 92 }),
  probeCase('linear-past-end', 100, { offset: 93 }),
  probeCase('linear-huge-offset', 100, { offset: 0xfffffff8 }),
  probeCase('flags-nonzero', 100, { offset: 40, flags: 1 }),
  probeCase('flags-high-bit', 100, { offset: 40, flags: 0x80000000 }),
  probeCase('linear-end-of-3520', 3600, { offset: frag(0) - 8 }),
  probeCase('across-linear-and-frag', 3600, { offset: frag(0) - 4 }),
  probeCase('across-linear-and-frag-written-back', 3600, { offset: frag(0) - 4, arg1: 1 }),
  probeCase('frag-start', 3600, { offset: frag(0) }),
  probeCase('frag-last-8', 3600, { offset: 3592 }),
  probeCase('across-two-frags', 8000, { offset: frag(1) - 4 }),
  probeCase('second-frag', 8000, { offset: frag(1) }),
  probeCase('frag-below-64k', BIG, { offset: 0xffff - 7 }),
  probeCase('frag-offset-0xffff', BIG, { offset: 0xffff }),
  probeCase('frag-above-64k-written-back', BIG, { offset: 0x10000, arg1: 1 }),
  ...someStandardCases(['ipv4-udp', 'min-14', 'short-13']),
];

const rwCases = [
  probeCase('read-write-linear', 100, { offset: 40, arg1: 8, arg2: 50 }),
  probeCase('flags-nonzero', 100, { offset: 40, flags: 1, arg1: 8, arg2: 50 }),
  probeCase('read-past-end', 100, { offset: 96, arg1: 8, arg2: 50 }),
  probeCase('write-past-end', 100, { offset: 40, arg1: 8, arg2: 96 }),
  probeCase('write-past-end-with-flags', 100, { offset: 40, flags: 1, arg1: 8, arg2: 96 }),
  probeCase('zero-length-at-end', 100, { offset: 100, arg1: 0, arg2: 100 }),
  probeCase('zero-length-past-end', 100, { offset: 101, arg1: 0, arg2: 101 }),
  probeCase('whole-64', 100, { offset: 36, arg1: 64, arg2: 36 }),
  probeCase('across-linear-and-frag', 3600, { offset: frag(0) - 10, arg1: 20, arg2: frag(0) - 5 }),
  probeCase('across-two-frags', 8000, { offset: frag(1) - 16, arg1: 32, arg2: frag(1) - 6 }),
  probeCase('last-64', 8000, { offset: 8000 - 64, arg1: 64, arg2: 8000 - 64 }),
  probeCase('read-above-64k', BIG, { offset: 0x10000, arg1: 8, arg2: 0xffff - 7 }),
  probeCase('write-above-64k', BIG, { offset: 0xffff - 7, arg1: 8, arg2: 0x10000 }),
  ...someStandardCases(['min-14']),
];

const apiCases = [
  probeCase('narrow-2-10', 100, { offset: 0, arg1: 2, arg2: 10 }),
  probeCase('narrow-slice-past-view', 100, { offset: 4, arg1: 2, arg2: 10 }),
  probeCase('whole', 100, { offset: 40, arg1: 0, arg2: 100 }),
  probeCase('start-after-end', 100, { offset: 0, arg1: 10, arg2: 2 }),
  probeCase('end-past-size', 100, { offset: 0, arg1: 0, arg2: 101 }),
  probeCase('empty-at-end', 100, { offset: 0, arg1: 100, arg2: 100 }),
  probeCase('null-dynptr', 100, { offset: 0, flags: 1, arg1: 2, arg2: 10 }),
  probeCase('view-across-linear-and-frag', 3600, { offset: 16, arg1: 3500, arg2: 3600 }),
  probeCase('view-in-frag', 8000, { offset: 8, arg1: frag(0), arg2: 8000 }),
];

const frameChangeCases = [
  probeCase('unchanged', 100, { offset: 40 }),
  probeCase('shrunk-partly-past-end', 100, { offset: 76, arg1: 20, arg2: 14 }),
  probeCase('shrunk-wholly-past-end', 100, { offset: 88, arg1: 20, arg2: 14 }),
  probeCase('head-past-end-refused', 100, { offset: 40, arg2: 200 }),
  probeCase('frag-shrunk-partly-past-end', 3600, { offset: 3556, arg1: 40, arg2: 14 }),
  probeCase('frags-released', 8000, { offset: 3506, arg1: 4490, arg2: 14 }),
];

/** Frames whose last 12 bytes lie in the linear part, in a fragment, or across a boundary. */
const stampCases = [
  ...someStandardCases(['ipv4-udp', 'min-14', 'multibuf-4096', 'multibuf-9000']),
  ...[26, 3520, 3525, 3532, 3533, frag(1) + 5, frag(1) + 12].map((n) => frameCase(`frame-${n}`, ipv4UdpFrame({ payload: Math.max(0, n - 42) }).slice(0, n))),
  frameCase('frame-3525-repeat-3', ipv4UdpFrame({ payload: 3525 - 42 }), { repeat: 3 }),
];

export const dynptrScenarios: Scenario[] = [
  { name: 'dynptr-slice', object: 'progs/build/dynptr_slice.o', program: 'xdp_dynptr_slice', packets: sliceCases },
  { name: 'dynptr-rw', object: 'progs/build/dynptr_rw.o', program: 'xdp_dynptr_rw', packets: rwCases },
  { name: 'dynptr-api', object: 'progs/build/dynptr_api.o', program: 'xdp_dynptr_api', packets: apiCases },
  { name: 'dynptr-frame', object: 'progs/build/dynptr_frame.o', program: 'xdp_dynptr_frame', packets: frameChangeCases },
  { name: 'dynptr-firewall', object: 'progs/build/dynptr_firewall.o', program: 'xdp_dynptr_firewall', packets: standardCases() },
  {
    name: 'dynptr-firewall-drop-dns',
    object: 'progs/build/dynptr_firewall.o',
    program: 'xdp_dynptr_firewall',
    // .data: drop_tcp_port u16 @0, drop_udp_port u16 @2.
    setup: [{ map: '.data', key: '00000000', value: u16le(23) + u16le(53) }],
    packets: someStandardCases(['ipv4-udp', 'ipv6-udp', 'vlan-ipv4-udp', 'multibuf-9000', 'ipv4-tcp']),
  },
  { name: 'dynptr-reflect', object: 'progs/build/dynptr_reflect.o', program: 'xdp_dynptr_reflect', packets: standardCases() },
  { name: 'dynptr-stamp', object: 'progs/build/dynptr_reflect.o', program: 'xdp_dynptr_stamp', packets: stampCases },
];
