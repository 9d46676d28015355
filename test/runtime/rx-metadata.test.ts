/**
 * Device-bound programs and the XDP RX metadata kfuncs (progs/src/rx_metadata.c), with the rules
 * and answers found on Linux 6.18 (test/differential/README.md, "RX metadata"): the loader's
 * refusals, where a bound program may run, and what a device with and without metadata answers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/collection.js';
import { BPF_F_XDP_DEV_BOUND_ONLY } from '../../src/elf/programs.js';
import { ipv4UdpFrame, ipv6TcpFrame, parseIpv4 } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { CollectionSpec } from '../../src/object-spec/collection-spec.js';
import { ENGINES } from '../../src/vm/engines.js';
import { toeplitzHash, type RxMetadataOp } from '../../src/xdp/rx-metadata.js';
import { errorOf } from '../error-of.js';
import { decodeAnswers } from '../differential/devices/scenario.js';

const object = (name: string): CollectionSpec =>
  readCollectionSpec(new Uint8Array(readFileSync(new URL(`../../progs/build/${name}.o`, import.meta.url))), { source: `${name}.o` });
const EOPNOTSUPP = -95;
const ENODATA = -61;

/** A device (or pair) and rx_metadata.o loaded bound to it and attached. */
function boundSetup(engine: string, opts: { ops?: RxMetadataOp[]; strip?: boolean; peer?: boolean } = {}) {
  const rt = new Runtime({ engine: engine as 'wasm', possibleCpus: 1 });
  const dev = rt.fabric.add('nic0', { ...(opts.peer ? { peer: 'nic1' } : {}), rxMetadata: opts.ops ?? [], rxVlanStrip: opts.strip ?? false });
  const coll = rt.loadCollection(object('rx_metadata'), { bindTo: dev.ifindex });
  rt.xdp.attach(dev, coll.program('xdp_rx_metadata'));
  const read = () => decodeAnswers(coll.map('answers').lookup(new Uint8Array(4))!);
  return { rt, dev, coll, read };
}

describe('loading device-bound programs', () => {
  it("refuses a program calling metadata kfuncs unless it is bound to a device, with the kernel's line", () => {
    const e = errorOf(() => new Runtime().loadCollection(object('rx_metadata')));
    expect(e.errno).toBe('EINVAL');
    expect(e.message).toMatch(/^program xdp_rx_metadata, instruction \d+: metadata kfuncs require device-bound program: bpf_xdp_metadata_rx_timestamp/);
    // The flag alone binds nothing (the kernel needs prog_ifindex too).
    const spec = object('rx_metadata');
    spec.programs.get('xdp_rx_metadata')!.flags |= BPF_F_XDP_DEV_BOUND_ONLY;
    expect(errorOf(() => new Runtime().loadCollection(spec)).message).toMatch(/metadata kfuncs require device-bound program/);
  });

  it('binds through ProgramSpec.ifindex and flags, and refuses what the kernel refuses', () => {
    const rt = new Runtime();
    const dev = rt.fabric.add('nic0');
    const withBinding = (ifindex: number, flags: number) => {
      const spec = object('rx_metadata');
      Object.assign(spec.programs.get('xdp_rx_metadata')!, { ifindex, flags });
      return spec;
    };
    expect(rt.loadCollection(withBinding(dev.ifindex, BPF_F_XDP_DEV_BOUND_ONLY)).program('xdp_rx_metadata').boundIfindex).toBe(dev.ifindex);
    const offload = errorOf(() => rt.loadCollection(withBinding(dev.ifindex, 0)));
    expect([offload.errno, offload.message]).toEqual(['EINVAL', expect.stringMatching(/without BPF_F_XDP_DEV_BOUND_ONLY asks to offload it/)]);
    const unknown = errorOf(() => rt.loadCollection(withBinding(99, BPF_F_XDP_DEV_BOUND_ONLY)));
    expect([unknown.errno, unknown.message]).toEqual(['EINVAL', expect.stringMatching(/no device with ifindex 99/)]);
    const lo = errorOf(() => rt.loadCollection(withBinding(1, BPF_F_XDP_DEV_BOUND_ONLY)));
    expect([lo.errno, lo.message]).toEqual(['EOPNOTSUPP', expect.stringMatching(/lo runs XDP only in generic mode/)]);
  });

  it('runs a bound program on its device only: no test-run, no other device, no program maps, chains, dispatchers or freplace', () => {
    const { rt, dev, coll } = boundSetup('interp', { peer: true });
    const prog = coll.program('xdp_rx_metadata');
    const other = rt.fabric.get('nic1');
    expect(errorOf(() => rt.testRun(prog, { data: ipv4UdpFrame() })).message).toMatch(
      /bound to the device with ifindex \d+, and the kernel does not test-run device-bound programs/,
    );
    rt.xdp.detach(dev);
    expect(errorOf(() => rt.xdp.attach(other, prog)).message).toMatch(/^Program bound to different device: xdp_rx_metadata .* not nic1/);
    expect(errorOf(() => rt.xdp.link(other, prog)).errno).toBe('EINVAL');
    expect(errorOf(() => rt.mprogs.attach(other, prog)).message).toMatch(/^Program bound to different device/);
    rt.mprogs.attach(dev, prog);
    expect(errorOf(() => rt.dispatchers.add(other, [{ program: prog }])).message).toMatch(/cannot be a dispatcher's component/);
    const pass = rt.loadCollection(object('xdp_pass')).program('xdp_pass');
    expect(errorOf(() => rt.chains.add(pass, -1, prog)).message).toMatch(/cannot be chained to/);
    rt.chains.add(prog, -1, pass);

    const target = rt.loadCollection(object('freplace_target'), { bindTo: dev.ifindex }).program('xdp_freplace_target');
    const ext = object('freplace_ext');
    expect(
      errorOf(() => rt.loadCollection(ext, { programs: ['classify_tx'], extensionTargets: new Map([['classify_tx', { program: target }]]) })).message,
    ).toMatch(/Target program bound device mismatch/);

    const tail = rt.loadCollection(object('tail_call'), { programs: ['xdp_tail_root', 'xdp_tail_ipv4'], bindTo: dev.ifindex });
    const table = tail.map('jump_table') as unknown as { update(k: Uint8Array, v: Uint8Array): void };
    const id = new Uint8Array(new Uint32Array([tail.program('xdp_tail_ipv4').id]).buffer);
    expect(errorOf(() => table.update(Uint8Array.of(1, 0, 0, 0), id)).message).toMatch(
      /bound to the device with ifindex \d+: the kernel keeps device-bound programs out of program maps/,
    );
  });
});

describe.each(Object.keys(ENGINES))('RX metadata kfuncs on a device (%s)', (engine) => {
  const udp = ipv4UdpFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 53 });
  const tuple = (src: string, dst: string, sport: number, dport: number) =>
    Uint8Array.from([...parseIpv4(src), ...parseIpv4(dst), sport >> 8, sport & 255, dport >> 8, dport & 255]);

  it('answers -EOPNOTSUPP for every kfunc a device does not implement, leaving the outputs alone', () => {
    const { rt, dev, read } = boundSetup(engine);
    rt.fabric.inject(dev, [{ data: udp, timestampNs: 5n }]);
    expect(read()).toMatchObject({
      timestampRet: EOPNOTSUPP,
      hashRet: EOPNOTSUPP,
      vlanRet: EOPNOTSUPP,
      timestamp: '1234605616436508552',
      hash: 0xcafe,
      rssType: 0xdead,
      vlanProto: 0x1234,
      vlanTci: 0x5678,
      runs: 1,
    });
  });

  it("gives a frame from the wire its capture time, its Toeplitz RSS hash and type, and veth's -ENODATA for a tag it did not strip", () => {
    const { rt, dev, read } = boundSetup(engine, { ops: ['timestamp', 'hash', 'vlan'] });
    rt.fabric.inject(dev, [{ data: udp, timestampNs: 1_700_000_000_123_456_789n }]);
    expect(read()).toMatchObject({
      timestampRet: 0,
      timestamp: '1700000000123456789',
      hashRet: 0,
      hash: toeplitzHash(tuple('10.0.0.1', '10.0.0.2', 40000, 53)),
      rssType: 41,
      vlanRet: ENODATA,
      vlanProto: 0x1234,
      vlanTci: 0,
    });
    rt.fabric.inject(dev, [ipv6TcpFrame()]);
    expect(read()).toMatchObject({ timestampRet: 0, timestamp: '0', rssType: 26 });
    expect(dev.stack.map((f) => f.data.length)).toEqual([udp.length, ipv6TcpFrame().length]);
  });

  it('answers only the kfuncs the device lists', () => {
    const { rt, dev, read } = boundSetup(engine, { ops: ['hash'] });
    rt.fabric.inject(dev, [udp]);
    expect(read()).toMatchObject({ timestampRet: EOPNOTSUPP, hashRet: 0, rssType: 41, vlanRet: EOPNOTSUPP, vlanTci: 0x5678 });
  });

  it('strips the outer tag with RX VLAN offload, reports it, and gives it back to the stack with the frame', () => {
    const { rt, dev, read } = boundSetup(engine, { ops: ['vlan', 'hash'], strip: true });
    const tagged = ipv4UdpFrame({ vlans: [{ vid: 100 }] });
    tagged[14] |= 5 << 5; // priority 5: the whole TCI is reported, not just the VLAN id
    rt.fabric.inject(dev, [tagged]);
    expect(read()).toMatchObject({ vlanRet: 0, vlanProto: 0x0081, vlanTci: (5 << 13) | 100, hashRet: 0, rssType: 41 });
    expect(dev.stack[0].data).toEqual(tagged);
    rt.fabric.inject(dev, [udp]);
    expect(read()).toMatchObject({ vlanRet: ENODATA, vlanProto: 0x1234, vlanTci: 0 });
  });

  it('has nothing for a frame that came as an XDP frame from the peer: -ENODATA, outputs untouched', () => {
    const { rt, dev, read } = boundSetup(engine, { ops: ['timestamp', 'hash', 'vlan'], peer: true });
    rt.xdp.attach(rt.fabric.get('nic1'), rt.loadCollection(object('xdp_tx')).program('xdp_tx'));
    rt.fabric.inject(dev.peer!, [{ data: udp, timestampNs: 9n }]);
    expect(read()).toMatchObject({
      timestampRet: ENODATA,
      hashRet: ENODATA,
      vlanRet: ENODATA,
      timestamp: '1234605616436508552',
      hash: 0xcafe,
      vlanTci: 0x5678,
      runs: 1,
    });
  });
});
