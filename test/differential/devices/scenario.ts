/**
 * Device scenarios: a device-bound program on a real device, which the kernel cannot test-run.
 * The kernel side (oracle.ts) runs the program on a veth pair in a private network namespace and
 * sends each frame through a packet socket; xdpchain runs it on a pair of its own devices that
 * implement the same RX metadata kfuncs veth does (timestamp, hash, VLAN tag; no VLAN offload).
 *
 * Two paths per frame: `wire` — sent from the peer's stack, the frame reaches the device as an skb
 * on veth (injected on xdpchain); `xdp-frame` — sent the other way and bounced back by XDP_TX on
 * the peer, it reaches the device as an XDP frame.
 *
 * Compared: how many times the program ran, every return code, the timestamp, the VLAN outputs,
 * whether the hash was written and whether its type says the ports were hashed (the L4 bit;
 * except behind a VLAN tag in the frame, where xdpchain hashes the ports as NICs do and veth not).
 * Not compared: the hash value and the rest of the type. veth hashes in software with a key drawn
 * at boot and reports only XDP_RSS_TYPE_L4_ANY or NONE; xdpchain's devices hash as a NIC does
 * (Toeplitz with a fixed key, test/xdp/rx-metadata.test.ts checks its values) and report the full
 * type (XDP_RSS_TYPE_L4_IPV4_UDP, ...).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCollectionSpec } from '../../../src/elf/index.js';
import { ipv4TcpSynFrame, ipv4UdpFrame, ipv6UdpFrame, standardPacketKind, toHex, fromHex } from '../../../src/packet/index.js';
import { Runtime } from '../../../src/runtime/runtime.js';
import type { EngineName } from '../../../src/vm/engine.js';
import { XdpRss } from '../../../src/xdp/rx-metadata.js';
import { repoRoot } from '../kernel-oracle.js';

export interface DeviceCase {
  name: string;
  path: 'wire' | 'xdp-frame';
  /** The frame as hex. */
  data: string;
  /** Why the L4 bit of the hash type is not compared for this frame. */
  l4TypeDiffers?: string;
}

export interface DeviceScenario {
  name: string;
  /** A program calling the RX metadata kfuncs and recording into `answers` (progs/src/rx_metadata.c). */
  object: string;
  program: string;
  cases: DeviceCase[];
}

/** struct rx_answers after the frame went through. */
export interface DeviceCaseResult {
  runs: number;
  timestampRet: number;
  hashRet: number;
  vlanRet: number;
  /** u64 as a decimal string (JSON has no 64-bit integers). */
  timestamp: string;
  hash: number;
  rssType: number;
  vlanProto: number;
  vlanTci: number;
}

export interface DeviceGoldenFile {
  scenario: string;
  object: string;
  objectSha256: string;
  kernel: string;
  recorded: string;
  cases: { name: string; result: DeviceCaseResult }[];
}

/** Pair ifindexes, fixed on both sides. */
export const DEVICE = { name: 'vx0', ifindex: 10, peer: 'vx1', peerIfindex: 11 } as const;
/** What rx_metadata.c stores before each kfunc, to tell an output the kfunc left alone. */
const UNTOUCHED = { hash: 0xcafe, rssType: 0xdead } as const;

const c = (name: string, path: DeviceCase['path'], frame: Uint8Array, extra: Partial<DeviceCase> = {}): DeviceCase => ({
  name,
  path,
  data: toHex(frame),
  ...extra,
});
/** veth's software hash stops at a VLAN tag inside the frame; a NIC's RSS, and xdpchain's, parses through it. */
const THROUGH_TAGS = 'xdpchain hashes the ports behind a VLAN tag, veth does not';

export const deviceScenarios: DeviceScenario[] = [
  {
    name: 'rx-metadata-veth',
    object: 'progs/build/rx_metadata.o',
    program: 'xdp_rx_metadata',
    cases: [
      c('wire-ipv4-udp', 'wire', ipv4UdpFrame()),
      c('wire-ipv4-tcp', 'wire', ipv4TcpSynFrame()),
      c('wire-ipv6-udp', 'wire', ipv6UdpFrame()),
      c('wire-arp', 'wire', standardPacketKind('arp').frame),
      c('wire-vlan-tag-in-frame', 'wire', ipv4UdpFrame({ vlans: [{ vid: 100 }] }), { l4TypeDiffers: THROUGH_TAGS }),
      c('xdp-frame-ipv4-udp', 'xdp-frame', ipv4UdpFrame()),
      c('xdp-frame-vlan-tag-in-frame', 'xdp-frame', ipv4UdpFrame({ vlans: [{ vid: 100 }] })),
    ],
  },
];

/** The answers struct of rx_metadata.c (40 bytes) as a result. */
export function decodeAnswers(bytes: Uint8Array): DeviceCaseResult {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    runs: dv.getUint32(32, true),
    timestampRet: dv.getInt32(0, true),
    hashRet: dv.getInt32(4, true),
    vlanRet: dv.getInt32(8, true),
    timestamp: dv.getBigUint64(16, true).toString(),
    hash: dv.getUint32(12, true),
    rssType: dv.getUint32(24, true),
    vlanProto: dv.getUint16(28, true),
    vlanTci: dv.getUint16(30, true),
  };
}

/** Differences that count (see the file comment), readable; [] when the results agree. */
export function diffDeviceResults(expected: DeviceCaseResult, actual: DeviceCaseResult, dc: DeviceCase): string[] {
  const hashed = (r: DeviceCaseResult) => r.hashRet === 0;
  const l4 = (r: DeviceCaseResult) => (dc.l4TypeDiffers ? 'written' : `L4 hashed: ${(r.rssType & XdpRss.L4) !== 0}`);
  const compared = (r: DeviceCaseResult) => ({
    ...r,
    hash: hashed(r) ? `written: ${r.hash !== UNTOUCHED.hash}` : r.hash,
    rssType: !hashed(r) ? r.rssType : r.rssType === UNTOUCHED.rssType ? 'untouched' : l4(r),
  });
  const e = compared(expected);
  const a = compared(actual);
  return (Object.keys(e) as (keyof typeof e)[]).filter((k) => e[k] !== a[k]).map((k) => `${k} ${a[k]}, expected ${e[k]}`);
}

/** One case on xdpchain: a pair with veth's kfuncs, the program bound to and attached on one end. */
export function runDeviceCaseOnXdpchain(s: DeviceScenario, dc: DeviceCase, engine: EngineName): DeviceCaseResult {
  const rt = new Runtime({ engine, possibleCpus: 1 });
  const dev = rt.fabric.add(DEVICE.name, {
    ifindex: DEVICE.ifindex,
    peer: DEVICE.peer,
    peerIfindex: DEVICE.peerIfindex,
    rxMetadata: ['timestamp', 'hash', 'vlan'],
  });
  const read = (path: string) => readCollectionSpec(new Uint8Array(readFileSync(join(repoRoot(), path))), { source: path });
  const coll = rt.loadCollection(read(s.object), { bindTo: dev.ifindex });
  rt.xdp.attach(dev, coll.program(s.program));
  if (dc.path === 'wire') {
    rt.fabric.inject(dev, [fromHex(dc.data)]);
  } else {
    rt.xdp.attach(dev.peer!, rt.loadCollection(read('progs/build/xdp_tx.o')).program('xdp_tx'));
    rt.fabric.inject(dev.peer!, [fromHex(dc.data)]);
  }
  return decodeAnswers(coll.map('answers').lookup(new Uint8Array(4))!);
}
