import type { Command } from 'commander';
import { join } from 'node:path';
import { ByteSink, PcapWriter } from '../../pcap/write.js';
import type { ReceivedFrame } from '../../xdp/fabric.js';
import type { DeliveryKind, Netdev } from '../../xdp/netdev.js';
import { readEthernetCapture } from '../capture.js';
import { ensureDirectory, OUT_DIRECTORY_HINT } from '../directories.js';
import { action, emit } from '../output.js';
import { withSession } from '../session.js';

/** What reached each device's stack and wire: counted, and streamed to `<dev>.<kind>.pcap` under `out` when given. */
class Deliveries {
  private readonly counts = new Map<Netdev, Record<DeliveryKind, number>>();
  private readonly files = new Map<string, { sink: ByteSink; writer: PcapWriter }>();
  // Frames get the time they left XDP, one nanosecond apart, so the files keep their order.
  private readonly startNs = BigInt(Date.now()) * 1_000_000n;

  constructor(private readonly devices: Netdev[], private readonly out: string | undefined) {
    for (const d of devices) {
      const count = { stack: 0, wire: 0 };
      this.counts.set(d, count);
      d.onDeliver = (kind, frame) => {
        const n = count[kind]++;
        if (out) this.file(`${d.name}.${kind}.pcap`).writePacket(frame.data, this.startNs + BigInt(n));
      };
    }
  }

  private file(name: string): PcapWriter {
    let f = this.files.get(name);
    if (!f) {
      const sink = ByteSink.toFile(join(this.out!, name), false, `--out ${this.out}: ${name}`);
      f = { sink, writer: new PcapWriter(sink) };
      this.files.set(name, f);
    }
    return f.writer;
  }

  /** Per device that got any: frames to the stack and to the wire. */
  summary(): { device: string; stack: number; wire: number }[] {
    return this.devices.map((d) => ({ device: d.name, ...this.counts.get(d)! })).filter((d) => d.stack || d.wire);
  }

  close(): void {
    for (const d of this.devices) d.onDeliver = undefined;
    for (const f of this.files.values()) f.sink.close();
  }
}

export function registerInject(root: Command): void {
  root
    .command('inject')
    .description("receive each frame of a capture on a device: run its XDP hook and whatever follows (TX, redirects, peers)")
    .argument('<iface>')
    .argument('<capture>', 'pcap or pcapng file')
    .option('--out <dir>', 'write what reached each device\'s stack (<dev>.stack.pcap) and wire (<dev>.wire.pcap)')
    .option('--json', 'print JSON')
    .action(action((iface: string, capture: string, opts: { out?: string; json?: boolean }, cmd: Command) =>
      withSession(cmd, (s) => {
        const dev = s.rt.fabric.get(iface);
        const devices = s.rt.fabric.list();
        if (opts.out) ensureDirectory(opts.out, `--out ${opts.out}`, OUT_DIRECTORY_HINT);
        const deliveries = new Deliveries(devices, opts.out);
        let frames = 0;
        // Streamed from the file: the capture's timestamps are the frames' RX timestamps (bpf_xdp_metadata_rx_timestamp).
        const received = function* (): Generator<ReceivedFrame> {
          for (const r of readEthernetCapture(capture, `capture ${capture}`)) {
            frames++;
            yield { data: r.data, timestampNs: r.timestampNs };
          }
        };
        let result;
        try {
          result = s.rt.fabric.inject(dev, received());
        } finally {
          deliveries.close();
        }
        // What this invocation delivered is reported above; the devices keep none of it between invocations.
        for (const d of devices) {
          d.stack.length = 0;
          d.wire.length = 0;
        }
        const report = { device: iface, frames, runts: result.runts, actions: result.actions, delivered: deliveries.summary(), loops: result.loops, events: result.events };
        emit(opts, report, (r) => [
          `${r.frames} frames received on ${r.device}`,
          ...(r.runts ? [`  ${r.runts} frames shorter than 14 bytes dropped by ${r.device} before XDP (a NIC drops runts)`] : []),
          ...Object.entries(r.actions).map(([a, n]) => `  ${a.padEnd(13)} ${n}`),
          ...r.delivered.map((d) => `  delivered on ${d.device}: ${d.stack} to the stack, ${d.wire} to the wire`),
          ...(r.loops ? [`  ${r.loops} frames dropped after bouncing between devices too often`] : []),
          ...r.events.filter((e) => e.error).slice(0, 5).map((e) => `  fault on ${e.device}: ${e.error}`),
        ].join('\n'));
      })));
}
