/**
 * Replaying a capture (`run`): frames received into the ring in compiled code or in JS must give
 * every program exactly what a fresh test-run buffer gives it: the same verdicts, output frames
 * and map contents as running the frames one by one through test-run, whatever the frames before
 * them left in the ring (grown tails, pushed headers, metadata, redirect targets).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { standardPacketKinds } from '../../src/packet/kinds.js';
import { FrameBatch } from '../../src/pcap/frame-batch.js';
import { frameBatches } from '../../src/pcap/frame-stream.js';
import { readCapture } from '../../src/pcap/read.js';
import { ByteSink, PcapWriter } from '../../src/pcap/write.js';
import { CaptureReplay } from '../../src/runtime/replay.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { dumpMap } from '../differential/xdpchain-runner.js';
import { engines } from '../vm/engines.js';
import { assemble } from '../../src/isa/asm.js';
import { loadProgramSpec, xdpProgramSpec } from './specs.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const object = (name: string) =>
  readCollectionSpec(new Uint8Array(readFileSync(new URL(`../../progs/build/${name}.o`, import.meta.url))), { source: `${name}.o` });

/** Every standard kind, long frames that need fragments, and runts, in a mixed order over several batches. */
function frames(): Uint8Array[] {
  const kinds = standardPacketKinds().map((k) => k.frame);
  const long = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i < 14 ? kinds[0][i] : i & 0xff));
  const out: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) {
    if (i % 97 === 5) out.push(long(5000));
    else if (i % 89 === 7) out.push(new Uint8Array(10));
    else if (i % 50 === 3) out.push(long(3500 + (i % 40)));
    else out.push(kinds[i % kinds.length]);
  }
  return out;
}

const programs: [string, string][] = [
  ['adjust_tail', 'xdp_tail_grow'],
  ['adjust_tail', 'xdp_tail_shrink'],
  ['adjust_meta', ''],
  ['vlan', 'xdp_vlan_push'],
  ['vlan', 'xdp_vlan_pop'],
  ['ttl_then_acl', ''],
  ['proto_counters', ''],
  ['redirect', ''],
];

describe.each(engines)('capture replay on $name', ({ name: engine }) => {
  it.each(programs)('%s %s: verdicts, output frames and maps as test-run gives them frame by frame', async (obj, progName) => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpchain-replay-'));
    const input = frames();
    const sink = new ByteSink();
    const w = new PcapWriter(sink, { nanoseconds: true });
    input.forEach((f, i) => w.writePacket(f, 1_700_000_000_000_000_000n + BigInt(i)));
    writeFileSync(join(dir, 'in.pcap'), sink.bytes());

    const load = () => {
      const rt = new Runtime({ engine: engine as 'interp', possibleCpus: 1, statsTiming: false });
      const coll = rt.loadCollection(object(obj));
      return { rt, coll, prog: progName ? coll.programs.get(progName)! : [...coll.programs.values()][0] };
    };

    // The reference: test-run, frame by frame, on its own runtime.
    const ref = load();
    const want = new Map<number, Uint8Array[]>();
    for (const data of input) {
      if (data.length < 14) continue;
      const out = ref.rt.testRun(ref.prog, { data });
      want.set(out.retval, [...(want.get(out.retval) ?? []), out.dataOut]);
    }

    // Both receive paths: frames read into wasm memory (compiled receive) and into ordinary memory (JS receive).
    for (const inWasm of [true, false]) {
      const live = load();
      const writers = new Map<number, { sink: ByteSink; writer: PcapWriter }>();
      const replay = new CaptureReplay(live.rt, live.prog, {
        output: (code) => {
          let w = writers.get(code);
          if (!w) {
            const sink = new ByteSink();
            writers.set(code, (w = { sink, writer: new PcapWriter(sink, { nanoseconds: true }) }));
          }
          return w.writer;
        },
      });
      let fed = 0;
      for await (const batch of frameBatches(join(dir, 'in.pcap'), { batchSize: 256, ...(inWasm ? { storage: replay.storage } : {}) })) {
        expect(batch.base >= 0).toBe(inWasm);
        replay.feed(batch);
        fed += batch.count;
      }
      expect(fed).toBe(input.length);
      const summary = replay.summary();
      replay.close();
      expect(summary.runts).toBe(input.filter((f) => f.length < 14).length);
      expect(summary.faults).toBe(0);
      expect(new Map([...summary.actions].map(([code, c]) => [code, c.packets]))).toEqual(
        new Map([...want].sort((a, b) => a[0] - b[0]).map(([code, list]) => [code, list.length])),
      );
      for (const [code, list] of want) {
        const records = readCapture(writers.get(code)!.sink.bytes()).records.map((r) => r.data);
        expect(records.length, `frames with code ${code}`).toBe(list.length);
        // Test-run's data_out starts at data_meta; what leaves XDP starts at data. Compared as hex
        // in one go (vitest compares typed arrays byte by byte, slowly).
        const metas = records.map((r, i) => list[i].length - r.length);
        expect(
          metas.filter((meta) => !(meta === 0 || (obj === 'adjust_meta' && meta > 0 && meta % 4 === 0))),
          `metadata lengths with code ${code}`,
        ).toEqual([]);
        expect(records.map(hex), `frames with code ${code}`).toEqual(list.map((f, i) => hex(f.subarray(metas[i]))));
      }
      for (const [name, map] of ref.coll.maps) expect(dumpMap(live.coll.maps.get(name)!, 1), `map ${name}`).toEqual(dumpMap(map, 1));
    }
  });

  it('clears what a run wrote past data_end before shrinking back, so the next frame in the slot reads zeros there', () => {
    const rt = new Runtime({ engine: engine as 'interp', possibleCpus: 1, statsTiming: false });
    // Read the byte 63 past data_end (the kernel's verifier would refuse it; we run it to look),
    // then grow the tail by 64, write that byte, shrink back: data_end ends where it began.
    // The verdict is 2 + what was read.
    const prog = loadProgramSpec(
      rt,
      xdpProgramSpec(
        'grow_write_shrink',
        assemble(`
      mov %r6, %r1
      ldxw %r2, [%r6+4]
      ldxb %r7, [%r2+63]
      mov %r1, %r6
      mov %r2, 64
      call 65
      ldxw %r2, [%r6+4]
      mov %r3, 0xcc
      stxb [%r2-1], %r3
      mov %r1, %r6
      mov %r2, -64
      call 65
      mov %r0, %r7
      add %r0, 2
      exit`),
      ),
    );
    const frame = standardPacketKinds()[0].frame;
    const bytes = new Uint8Array(frame.length * 256);
    const batch = new FrameBatch(256);
    batch.reset(bytes);
    for (let i = 0; i < 256; i++) {
      bytes.set(frame, i * frame.length);
      batch.add(i * frame.length, frame.length, frame.length, 0, 0, 1);
    }
    const replay = new CaptureReplay(rt, prog);
    for (let round = 0; round < 3; round++) replay.feed(batch);
    expect(new Map([...replay.summary().actions].map(([code, c]) => [code, c.packets]))).toEqual(new Map([[2, 768]]));
    replay.close();
  });

  it('counts the frames of a batch built by hand (no reader), JS receive', () => {
    const { rt, prog } = (() => {
      const rt = new Runtime({ engine: engine as 'interp', possibleCpus: 1, statsTiming: false });
      return { rt, prog: [...rt.loadCollection(object('ttl_then_acl')).programs.values()][0] };
    })();
    const kinds = standardPacketKinds()
      .map((k) => k.frame)
      .filter((f) => f.length >= 14);
    const bytes = new Uint8Array(kinds.reduce((n, k) => n + k.length, 0));
    const batch = new FrameBatch(kinds.length);
    batch.reset(bytes);
    let at = 0;
    for (const k of kinds) {
      bytes.set(k, at);
      batch.add(at, k.length, k.length, 0, 0, 1);
      at += k.length;
    }
    const replay = new CaptureReplay(rt, prog);
    replay.feed(batch);
    expect(replay.packets).toBe(kinds.length);
    replay.close();
  });
});
