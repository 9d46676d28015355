import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { ensureDirectory, OUT_DIRECTORY_HINT } from '../directories.js';
import { openOutCapture, type OutCapture } from '../out-capture.js';
import { CaptureReplay, REPLAY_BATCH_FRAMES } from '../../runtime/replay.js';
import { Runtime } from '../../runtime/runtime.js';
import { frameBatches } from '../../pcap/frame-stream.js';
import { onUserPath } from '../../errors/index.js';
import { xdpActionName } from '../../xdp/constants.js';
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
  addTypeOption(
    addLoadOptions(
      root
        .command('run')
        .description('run every packet of a capture through a program; write one pcap per action')
        .argument('<object>', 'ELF object')
        .option('--prog <name>', 'program to run (needed when the object has several)')
        .requiredOption('--pcap <file>', 'input capture: pcap or pcapng, plain or gzip (zstd with Node 22.15 or later)')
        .option('--out <dir>', 'write <action>.pcap files here (the frames as the program left them)')
        .option('--progress', 'show progress even when stderr is not a terminal')
        .option('--json', 'print JSON'),
    ),
  ).action(
    action(async (object: string, opts: RunOptions, cmd: Command) => {
      // A one-off runtime: its statistics die with it, so no clock is read per program.
      const rt = new Runtime({ ...runtimeGlobals(cmd), statsTiming: false });
      rt.fabric.recordEvents = false;
      const coll = rt.loadCollection(readObjectForLoad(object, opts).spec, { ...(opts.prog ? { programs: [opts.prog] } : {}), ...btfLoadOption(opts) });
      reportSkipped(coll);
      const prog = pickProgram(coll, opts.prog, object);
      const writers = new Map<number, OutCapture>();
      const writerFor = (code: number): OutCapture['writer'] | undefined => {
        let w = writers.get(code);
        if (!w && opts.out) {
          w = openOutCapture(opts.out, `${xdpActionName(code).replace(/^XDP_/, '').toLowerCase()}.pcap`);
          writers.set(code, w);
        }
        return w?.writer;
      };
      if (opts.out) ensureDirectory(opts.out, `--out ${opts.out}`, OUT_DIRECTORY_HINT);
      const inputBytes = onUserPath(`--pcap ${opts.pcap}`, () => statSync(opts.pcap).size, 'give a pcap or pcapng file');
      const replay = new CaptureReplay(rt, prog, opts.out ? { output: writerFor } : {});
      const progress = new Progress('run', opts.progress);
      let read = 0;
      const started = process.hrtime.bigint();
      try {
        const batches = frameBatches(opts.pcap, {
          batchSize: REPLAY_BATCH_FRAMES,
          what: `--pcap ${opts.pcap}`,
          note: (text) => process.stderr.write(`note: ${text}\n`),
          onRead: (bytes) => (read = bytes),
          storage: replay.storage,
        });
        for await (const batch of batches) {
          replay.feed(batch);
          progress.tick(replay.packets, read / Math.max(1, inputBytes));
        }
      } finally {
        for (const w of writers.values()) w.sink.close();
        replay.close();
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      progress.done();
      const { packets, runts, faults, firstFault, actions: byCode } = replay.summary();
      const actions = Object.fromEntries([...byCode].map(([code, c]) => [xdpActionName(code), c]));
      const report = {
        program: prog.name,
        input: opts.pcap,
        inputBytes,
        packets,
        runts,
        seconds: Number(seconds.toFixed(3)),
        packetsPerSecond: Math.round(packets / Math.max(seconds, 1e-9)),
        workers: 1,
        actions,
        faults,
        ...(firstFault ? { firstFault: firstFault.message } : {}),
        ...(opts.out ? { out: opts.out } : {}),
      };
      emit(opts, report, (r) => {
        const rows = Object.entries(r.actions).map(
          ([name, c]) =>
            `  ${name.padEnd(13)} ${String(c.packets).padStart(10)} ${String(c.bytes).padStart(13)} ${((100 * c.packets) / Math.max(1, r.packets)).toFixed(1).padStart(6)}%`,
        );
        return [
          `${r.packets} packets through ${r.program} in ${r.seconds}s (${groupDigits(r.packetsPerSecond)} packets/s)`,
          `  ${'action'.padEnd(13)} ${'packets'.padStart(10)} ${'bytes'.padStart(13)} ${'share'.padStart(7)}`,
          ...rows,
          ...(r.runts ? [`  ${r.runts} frames shorter than 14 bytes dropped by the device before the program (a NIC drops runts)`] : []),
          ...(r.faults ? [`  ${r.faults} runs faulted (counted as XDP_ABORTED); first: ${r.firstFault}`] : []),
          ...(r.out ? [`  per-action captures in ${r.out}/`] : []),
        ].join('\n');
      });
    }),
  );
}
