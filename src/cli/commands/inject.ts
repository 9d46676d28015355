import type { Command } from 'commander';
import { readEthernetCapture } from '../capture.js';
import { DeliveryFiles } from '../delivery-files.js';
import { ensureDirectory, OUT_DIRECTORY_HINT } from '../directories.js';
import { injectReport, injectReportText, REPORT_EVENTS } from '../inject-report.js';
import { action, emit } from '../output.js';
import { Progress } from '../progress.js';
import { withSession } from '../session.js';

interface InjectOptions {
  out?: string;
  json?: boolean;
  progress?: boolean;
}

/** `xdpchain inject IFACE CAPTURE`: receive a capture's frames on a device and report what became of them. */
export function registerInject(root: Command): void {
  root
    .command('inject')
    .description('receive each frame of a capture on a device: run its XDP hook and whatever follows (TX, redirects, peers)')
    .argument('<iface>')
    .argument('<capture>', 'pcap or pcapng file')
    .option('--out <dir>', "write every frame that reached a device's stack (<dev>.stack.pcap) and wire (<dev>.wire.pcap)")
    .option('--progress', 'show progress even when stderr is not a terminal')
    .option('--json', `print JSON: counts, and the first ${REPORT_EVENTS} hook runs as events (hookRuns counts them all)`)
    .action(
      action((iface: string, capture: string, opts: InjectOptions, cmd: Command) =>
        withSession(cmd, (s) => {
          const dev = s.rt.fabric.get(iface);
          const devices = s.rt.fabric.list();
          if (opts.out) ensureDirectory(opts.out, `--out ${opts.out}`, OUT_DIRECTORY_HINT);
          // Delivered frames are counted and streamed to --out; none is kept in memory, since the
          // devices do not outlive this invocation.
          for (const d of devices) d.keepFrames = 0;
          s.rt.fabric.eventWindow = REPORT_EVENTS;
          const progress = new Progress('inject', opts.progress);
          const started = process.hrtime.bigint();
          const files = opts.out ? new DeliveryFiles(devices, opts.out) : undefined;
          let result;
          try {
            // Streamed from the file: the capture's timestamps are the frames' RX timestamps (bpf_xdp_metadata_rx_timestamp).
            result = s.rt.fabric.inject(dev, readEthernetCapture(capture, `capture ${capture}`), { onProgress: (n) => progress.tick(n) });
          } finally {
            files?.close();
          }
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          progress.done();
          const out = opts.out && files ? { dir: opts.out, written: files.written() } : undefined;
          emit(opts, injectReport(iface, result, seconds, out), injectReportText);
        }),
      ),
    );
}
