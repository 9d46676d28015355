import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCollectionSpec } from '../../../src/elf/index.js';
import { ethernetFrames } from '../../../src/pcap/ethernet.js';
import { CaptureReader, readCapture } from '../../../src/pcap/read.js';
import { ETH_HLEN } from '../../../src/xdp/constants.js';
import { ByteSink, PcapngWriter, PcapWriter } from '../../../src/pcap/write.js';
import { LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from '../../../src/pcap/link-types.js';
import { runCli } from '../cli-in-process.js';
import { mutateCapture } from '../capture-mutate.js';
import { SEED_FRAMES } from '../frames.js';
import { readSeeds, repoRoot } from '../seeds.js';
import { hashBytes } from '../prng.js';
import type { FuzzTarget, OpenTarget, TargetName } from '../target.js';
import { LoadSandbox } from './load-sandbox.js';

/** A pcap of SEED_FRAMES with their Ethernet header replaced by a Linux cooked one (SLL 16 bytes, SLL2 20). */
function cookedPcap(linkType: number, header: (f: Uint8Array) => number[]): Uint8Array {
  const sink = new ByteSink();
  const w = new PcapWriter(sink, { linkType, snapLength: 128 });
  SEED_FRAMES.forEach((f, i) => w.writePacket(Uint8Array.of(...header(f), ...f.subarray(14)), BigInt(i)));
  return sink.bytes();
}

/** Captures the repository has, and ones written here by our own writers (Ethernet, Linux cooked SLL and SLL2). */
function pcapSeeds(): Uint8Array[] {
  const written = [false, true].map((ns) => {
    const sink = new ByteSink();
    const w = new PcapWriter(sink, { nanoseconds: ns });
    SEED_FRAMES.forEach((f, i) => w.writePacket(f, BigInt(i) * 1_000_000_123n));
    return sink.bytes();
  });
  const sll = cookedPcap(LINKTYPE_LINUX_SLL, (f) => [0, 1, 0, 1, 0, 6, ...f.subarray(6, 12), 0, 0, f[12] ?? 8, f[13] ?? 0]);
  const sll2 = cookedPcap(LINKTYPE_LINUX_SLL2, (f) => [f[12] ?? 8, f[13] ?? 0, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, ...f.subarray(6, 12), 0, 0]);
  return [...readSeeds(['test/fixtures/pcap'], '.pcap', 'pcap'), ...written, sll, sll2];
}

/** pcapng written by PcapngWriter: one or two interfaces, packets with comments, flags, queue and verdict. */
function pcapngSeeds(): Uint8Array[] {
  return [1, 2].map((interfaces) => {
    const sink = new ByteSink();
    const w = new PcapngWriter(sink, { application: 'fuzz' });
    w.addInterface({ name: 'eth0', description: 'seed' });
    if (interfaces === 2) w.addInterface({ name: 'any', linkType: LINKTYPE_LINUX_SLL, snapLength: 96 });
    SEED_FRAMES.forEach((data, i) =>
      w.writePacket({ interfaceId: 0, timestampNs: BigInt(i) * 999n, data, comment: i === 0 ? 'first' : undefined, flags: 1, queue: i, xdpVerdict: i % 5 }),
    );
    return sink.bytes();
  });
}

/** How much of an input the incremental reader is given at a time: the chunk edges fall inside records. */
const chunkSize = (input: Uint8Array): number => 1 + ((input.length * 7 + (input[8] ?? 0)) % 61);
/** One input in this many also goes through the CLI's `run` (a runtime per call: ~30 ms). */
const CLI_EVERY = 16;

/**
 * A capture through the in-memory reader, the incremental reader fed in small chunks, the
 * conversion to Ethernet frames and a test-run of each through parser.o; one input in CLI_EVERY
 * (chosen by its bytes, so a replay does the same) also through the CLI's `run` of xdp_pass.o
 * in-process (the file reader, link-type notes, the device's runt rule, the report).
 */
function captureTarget(name: TargetName, seeds: () => Uint8Array[]): FuzzTarget {
  return {
    name,
    open(): OpenTarget {
      const all = seeds();
      const dir = mkdtempSync(join(tmpdir(), `xdpchain-fuzz-${name}-`));
      const file = join(dir, `input.${name}`);
      const passObject = join(repoRoot(), 'progs/build/xdp_pass.o');
      const parser = readCollectionSpec(new Uint8Array(readFileSync(join(repoRoot(), 'progs/build/parser.o'))));
      const sandbox = new LoadSandbox();
      return {
        seeds: all,
        generate: (rng) => mutateCapture(rng, rng.pick(all), all),
        async run(input) {
          const capture = readCapture(input, 'fuzz');
          const reader = new CaptureReader('fuzz');
          const step = chunkSize(input);
          for (let at = 0; at < input.length; at += step) {
            reader.push(input.subarray(at, at + step));
            while (reader.next());
          }
          reader.finish();
          const frames = [...ethernetFrames(capture.records, 'fuzz', () => undefined)].filter((r) => r.data.length >= ETH_HLEN);
          sandbox.use(input, (rt) => {
            const prog = [...rt.loadCollection(parser).programs.values()][0];
            for (const f of frames) rt.testRun(prog, { data: f.data, budget: 20_000 });
          });
          if (hashBytes(input) % CLI_EVERY !== 0) return;
          writeFileSync(file, input);
          await runCli(['--engine', 'interp', 'run', passObject, '--pcap', file, '--json']);
        },
        close: () => {
          sandbox.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

export const pcapTarget = captureTarget('pcap', pcapSeeds);
export const pcapngTarget = captureTarget('pcapng', pcapngSeeds);
