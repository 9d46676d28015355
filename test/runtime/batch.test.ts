/**
 * Many packets per call (test-run's repeat, `run`, inject): the same verdicts, packets, map
 * contents and statistics as running the packets one by one, including chains, tail calls and
 * faults in the middle of a batch.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { assemble } from '../../src/isa/asm.js';
import { ipv4UdpFrame, standardPacketKinds } from '../../src/packet/index.js';
import type { XdpBatchResult } from '../../src/runtime/execute.js';
import type { Program } from '../../src/runtime/program.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { ProgramSpec } from '../../src/object-spec/program-spec.js';
import { XdpBuffer } from '../../src/xdp/buffer.js';
import { XdpAction, xdpActionName } from '../../src/xdp/constants.js';
import { engines } from '../vm/engines.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

const object = (name: string) =>
  readCollectionSpec(new Uint8Array(readFileSync(new URL(`../../progs/build/${name}.o`, import.meta.url))), { source: `${name}.o` });

const xdp = (name: string, text: string): ProgramSpec => xdpProgramSpec(name, assemble(text));

/** XDP_PASS, except for frames whose first byte is 0xff: those read address 0xff and fault. */
const faultOnMarked = xdp(
  'fault_on_marked',
  `
  ldxw %r2, [%r1+0]
  mov %r0, 2
  ldxb %r3, [%r2+0]
  jne %r3, 0xff, out
  ldxb %r0, [%r3+0]
out:
  exit`,
);

/** Frames that differ in their first byte (0xff marks the ones faultOnMarked faults on). */
const frames = (marks: number[]) =>
  marks.map((m) => {
    const f = ipv4UdpFrame();
    f[0] = m;
    return f;
  });

describe.each(engines)('batched runs on $name', ({ name: engine }) => {
  const runtime = (statsTiming = false) => new Runtime({ engine: engine as 'interp', possibleCpus: 1, statsTiming });
  const load = (rt: Runtime, obj: string): Program => [...rt.loadCollection(object(obj)).programs.values()][0];
  const buffersFor = (rt: Runtime, data: Uint8Array[]) =>
    data.map((d) => {
      const b = new XdpBuffer(rt.space, 'batch test');
      b.load(d);
      return b;
    });

  it.each([false, true])('follows chains for every repeated packet and counts every program (timing %s)', (timing) => {
    const rt = runtime(timing);
    const pass = load(rt, 'xdp_pass');
    const drop = load(rt, 'xdp_drop');
    rt.chains.add(pass, XdpAction.PASS, drop);
    expect(rt.testRun(pass, { data: ipv4UdpFrame(), repeat: 1000 }).retval).toBe(XdpAction.DROP);
    expect([pass.stats.runCount, drop.stats.runCount]).toEqual([1000, 1000]);
    if (timing) expect(pass.stats.runTimeNs).toBeGreaterThan(0);
    rt.chains.delete(pass, XdpAction.PASS);
    expect(rt.testRun(pass, { data: ipv4UdpFrame(), repeat: 10 }).retval).toBe(XdpAction.PASS);
    expect([pass.stats.runCount, drop.stats.runCount]).toEqual([1010, 1000]);
  });

  it('gives each packet of a batch what running it alone gives: verdict, packet and maps', () => {
    const kinds = frames([0, 1, 2, 3, 4, 5, 6, 7]);
    // ttl_then_acl rewrites TTLs and drops by an ACL: verdicts and bytes both vary per packet.
    kinds.forEach((f, i) => (f[22] = i * 40)); // IPv4 TTL
    const one = runtime();
    const p1 = load(one, 'ttl_then_acl');
    const alone = buffersFor(one, kinds).map((b) => ({ retval: one.executor.run(p1, b).retval, bytes: b.packet() }));
    const many = runtime();
    const p2 = load(many, 'ttl_then_acl');
    const bufs = buffersFor(many, kinds);
    const got: XdpBatchResult[] = [];
    many.executor.runEach(p2, bufs, (i, r) => (got[i] = r));
    expect(got.map((r) => r.retval)).toEqual(alone.map((a) => a.retval));
    expect(bufs.map((b) => b.packet())).toEqual(alone.map((a) => a.bytes));
    expect(p2.stats.runCount).toBe(kinds.length);
  });

  it('ends a faulting packet as XDP_ABORTED and goes on with the rest of the batch', () => {
    const rt = runtime();
    const prog = loadProgramSpec(rt, faultOnMarked);
    const drop = load(rt, 'xdp_drop');
    rt.chains.add(prog, XdpAction.PASS, drop);
    const got: XdpBatchResult[] = [];
    rt.executor.runEach(prog, buffersFor(rt, frames([0, 0xff, 0, 0xff, 0xff, 0])), (i, r) => (got[i] = r));
    expect(got.map((r) => r.retval)).toEqual([XdpAction.DROP, XdpAction.ABORTED, XdpAction.DROP, XdpAction.ABORTED, XdpAction.ABORTED, XdpAction.DROP]);
    expect(got.map((r) => r.fault?.kind)).toEqual([undefined, 'out-of-bounds', undefined, 'out-of-bounds', 'out-of-bounds', undefined]);
    expect(got[1].fault!.message).toContain('fault_on_marked');
    expect([prog.stats.runCount, drop.stats.runCount]).toEqual([6, 3]);
  });

  it('reports the last repeat when it faults, and keeps counting after a fault', () => {
    const rt = runtime();
    const prog = loadProgramSpec(rt, faultOnMarked);
    const out = rt.testRun(prog, { data: frames([0xff])[0], repeat: 5 });
    expect(out.retval).toBe(XdpAction.ABORTED);
    expect(out.fault?.kind).toBe('out-of-bounds');
    expect(prog.stats.runCount).toBe(5);
  });

  it('gives every packet of a batch its own 33 tail calls', () => {
    const rt = runtime();
    const coll = rt.loadCollection(object('tail_call'));
    const entry = coll.program('xdp_tail_chain');
    coll.map('jump_table').update(new Uint8Array([3, 0, 0, 0]), new Uint8Array(new Uint32Array([entry.id]).buffer));
    const alone = rt.testRun(entry, { data: ipv4UdpFrame() });
    const counts = () => [...coll.programs.values()].map((p) => p.stats.runCount);
    const once = counts();
    expect(entry.stats.runCount).toBe(34);
    const batched = rt.testRun(entry, { data: ipv4UdpFrame(), repeat: 7 });
    expect(batched.retval).toBe(alone.retval);
    expect(counts()).toEqual(once.map((n) => n * 8));
  });

  it('injects more frames than a NAPI poll holds with the verdicts, packets and events of one-by-one runs', () => {
    const data = Array.from({ length: 150 }, (_, i) => {
      const f = ipv4UdpFrame();
      // ttl_then_acl drops at TTL 0..1 (IPv4 byte 8) and denies UDP ports 23, 135, 445, 3389.
      f[22] = i % 3;
      f[36] = 0;
      f[37] = [53, 23, 135, 80, 445, 99, 7][i % 7];
      return f;
    });
    const one = runtime();
    const p1 = load(one, 'ttl_then_acl');
    const alone = data.map((d) => {
      const [b] = buffersFor(one, [d]);
      return { retval: one.executor.run(p1, b).retval, bytes: b.packet() };
    });
    const rt = runtime();
    const dev = rt.fabric.add('eth0');
    const prog = load(rt, 'ttl_then_acl');
    rt.xdp.attach(dev, prog);
    const result = rt.fabric.inject(dev, data);
    expect(result.events.map((e) => e.action)).toEqual(alone.map((a) => xdpActionName(a.retval)));
    expect(dev.stack.map((f) => f.data)).toEqual(alone.filter((a) => a.retval === XdpAction.PASS).map((a) => a.bytes));
    expect(prog.stats.runCount).toBe(data.length);
  });

  it('tail-calls through a program array the same way with and without a host in the loop', () => {
    // Timing on, every tail call goes through the host (the tracker must hear it); off, compiled code may make it itself.
    const outcome = (timing: boolean) => {
      const rt = runtime(timing);
      const coll = rt.loadCollection(object('tail_call'));
      const slot = (i: number, name: string) =>
        coll.map('jump_table').update(new Uint8Array([i, 0, 0, 0]), new Uint8Array(new Uint32Array([coll.program(name).id]).buffer));
      slot(0, 'xdp_tail_ipv4'); // IPv4 → XDP_TX
      slot(2, 'xdp_tail_arp'); // ARP → slot 3, which holds the self-chaining program: 33 more
      slot(3, 'xdp_tail_chain');
      const kinds = standardPacketKinds().map((k) => k.frame);
      const got: number[] = [];
      rt.executor.runEach(coll.program('xdp_tail_root'), buffersFor(rt, kinds), (i, r) => (got[i] = r.retval));
      return { got, counts: [...coll.programs.values()].map((p) => p.stats.runCount), kinds: kinds.length };
    };
    const viaHost = outcome(true);
    const compiled = outcome(false);
    expect(compiled).toEqual(viaHost);
    expect(new Set(viaHost.got).size).toBeGreaterThan(2);
  });
});

describe('a timed test-run', () => {
  it('compiles what the run needs (programs, driver, the graph the run makes hot) before its clock starts', () => {
    const rt = new Runtime({ engine: 'wasm', graphAfterPackets: 0 });
    const prog = rt.loadCollection(object('firewall')).program('xdp_firewall');
    const driver = rt.nodes.driver!;
    const calls: string[] = [];
    const { prepare, run } = driver;
    driver.prepare = (entry, count) => {
      calls.push(`prepare ${entry === prog.node} ${count}`);
      prepare.call(driver, entry, count);
    };
    driver.run = (req) => {
      calls.push('run');
      run.call(driver, req);
    };
    const hrtime = process.hrtime.bigint;
    process.hrtime.bigint = () => {
      calls.push('clock');
      return hrtime();
    };
    try {
      expect(rt.testRun(prog, { data: ipv4UdpFrame(), repeat: 5 }).retval).toBe(XdpAction.PASS);
    } finally {
      process.hrtime.bigint = hrtime;
    }
    expect(calls.slice(0, 4)).toEqual(['prepare true 5', 'clock', 'run', 'clock']);
  });
});
