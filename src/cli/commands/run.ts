import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { readEthernetCapture } from '../capture.js';
import { ensureDirectory, OUT_DIRECTORY_HINT } from '../directories.js';
import { ByteSink, PcapWriter } from '../../pcap/write.js';
import { BATCH_SIZE } from '../../runtime/execute.js';
import { Runtime } from '../../runtime/runtime.js';
import { XdpBuffer } from '../../xdp/buffer.js';
import { ETH_HLEN, xdpActionName } from '../../xdp/constants.js';
import { pickProgram } from '../object.js';
import { addLoadOptions, addTypeOption, btfLoadOption, readObjectForLoad, reportSkipped, type LoadCliOptions } from '../load-options.js';
import { action, emit, groupDigits } from '../output.js';
import { Progress } from '../progress.js';
import { runtimeGlobals } from '../session.js';

interface RunOptions extends LoadCliOptions {
  prog?: string;
  pcap: string;
  out?: string;
  progress?: boolean;
  json?: boolean;
  btf?: string;
}

export function registerRun(root: Command): void {
  addTypeOption(addLoadOptions(root
    .command('run')
    .description('run every packet of a capture through a program; write one pcap per action')
    .argument('<object>', 'ELF object')
    .option('--prog <name>', 'program to run (needed when the object has several)')
    .requiredOption('--pcap <file>', 'input capture (pcap or pcapng)')
    .option('--out <dir>', 'write <action>.pcap files here (the frames as the program left them)')
    .option('--progress', 'show progress even when stderr is not a terminal')
    .option('--json', 'print JSON')))
    .action(action((object: string, opts: RunOptions, cmd: Command) => {
      // A one-off runtime: its statistics die with it, so no clock is read per program.
      const rt = new Runtime({ ...runtimeGlobals(cmd), statsTiming: false });
      rt.fabric.recordEvents = false;
      const coll = rt.loadCollection(readObjectForLoad(object, opts).spec, { ...(opts.prog ? { programs: [opts.prog] } : {}), ...btfLoadOption(opts) });
      reportSkipped(coll);
      const prog = pickProgram(coll, opts.prog, object);
      const writers = new Map<number, { sink: ByteSink; writer: PcapWriter }>();
      const writerFor = (code: number) => {
        let w = writers.get(code);
        if (!w && opts.out) {
          const name = `${xdpActionName(code).replace(/^XDP_/, '').toLowerCase()}.pcap`;
          const sink = ByteSink.toFile(join(opts.out, name), false, `--out ${opts.out}: ${name}`);
          w = { sink, writer: new PcapWriter(sink, { nanoseconds: true }) };
          writers.set(code, w);
        }
        return w;
      };
      if (opts.out) ensureDirectory(opts.out, `--out ${opts.out}`, OUT_DIRECTORY_HINT);
      const counts = new Map<number, { packets: number; bytes: number }>();
      // A ring of buffers: each batch of packets goes through the program in one call (the NAPI-style
      // loop). Made as packets come: a capture of a few packets does not pay for a whole ring.
      const ring: XdpBuffer[] = [];
      const progress = new Progress('run', undefined, opts.progress);
      let packets = 0;
      let faults = 0;
      let firstFault: string | undefined;
      const started = process.hrtime.bigint();
      const pending: { length: number; timestampNs: bigint }[] = [];
      const flush = (): void => {
        rt.executor.runEach(prog, ring.slice(0, pending.length), (i, r) => {
          if (r.fault) {
            faults++;
            firstFault ??= r.fault.message;
          }
          const c = counts.get(r.retval) ?? { packets: 0, bytes: 0 };
          c.packets++;
          c.bytes += pending[i].length;
          counts.set(r.retval, c);
          writerFor(r.retval)?.writer.writePacket(ring[i].packet(), pending[i].timestampNs);
        });
        packets += pending.length;
        pending.length = 0;
        progress.tick(packets);
      };
      let runts = 0;
      for (const rec of readEthernetCapture(opts.pcap, `--pcap ${opts.pcap}`)) {
        // A NIC drops a frame shorter than an Ethernet header before XDP: the program never sees it.
        if (rec.data.length < ETH_HLEN) {
          runts++;
          continue;
        }
        const buffer = (ring[pending.length] ??= new XdpBuffer(rt.space, 'run'));
        buffer.load(rec.data);
        buffer.ingressIfindex = 1;
        buffer.syncContext();
        pending.push({ length: rec.data.length, timestampNs: rec.timestampNs });
        if (pending.length === BATCH_SIZE) flush();
      }
      if (pending.length > 0) flush();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      progress.done();
      for (const w of writers.values()) w.sink.close();
      for (const b of ring) b.free();
      const actions = Object.fromEntries([...counts].sort((a, b) => a[0] - b[0]).map(([code, c]) => [xdpActionName(code), c]));
      const report = {
        program: prog.name,
        input: opts.pcap,
        inputBytes: statSync(opts.pcap).size,
        packets,
        runts,
        seconds: Number(seconds.toFixed(3)),
        packetsPerSecond: Math.round(packets / Math.max(seconds, 1e-9)),
        actions,
        faults,
        ...(firstFault ? { firstFault } : {}),
        ...(opts.out ? { out: opts.out } : {}),
      };
      emit(opts, report, (r) => {
        const rows = Object.entries(r.actions).map(([name, c]) => `  ${name.padEnd(13)} ${String(c.packets).padStart(10)} ${String(c.bytes).padStart(13)} ${((100 * c.packets) / Math.max(1, r.packets)).toFixed(1).padStart(6)}%`);
        return [
          `${r.packets} packets through ${r.program} in ${r.seconds}s (${groupDigits(r.packetsPerSecond)} packets/s)`,
          `  ${'action'.padEnd(13)} ${'packets'.padStart(10)} ${'bytes'.padStart(13)} ${'share'.padStart(7)}`,
          ...rows,
          ...(r.runts ? [`  ${r.runts} frames shorter than 14 bytes dropped by the device before the program (a NIC drops runts)`] : []),
          ...(r.faults ? [`  ${r.faults} runs faulted (counted as XDP_ABORTED); first: ${r.firstFault}`] : []),
          ...(r.out ? [`  per-action captures in ${r.out}/`] : []),
        ].join('\n');
      });
    }));
}
