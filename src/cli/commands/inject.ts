import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readEthernetCapture } from '../capture.js';
import { ByteSink, PcapWriter } from '../../pcap/write.js';
import { action, emit } from '../output.js';
import { withSession } from '../session.js';
import type { ReceivedFrame } from '../../xdp/fabric.js';

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
        const before = new Map(devices.map((d) => [d, { stack: d.stack.length, wire: d.wire.length }]));
        // The capture's timestamps are the frames' RX timestamps (bpf_xdp_metadata_rx_timestamp).
        const frames: ReceivedFrame[] = [];
        for (const r of readEthernetCapture(capture)) frames.push({ data: r.data, timestampNs: r.timestampNs });
        const result = s.rt.fabric.inject(dev, frames);
        const delivered = devices.map((d) => ({ device: d.name, stack: d.stack.length - before.get(d)!.stack, wire: d.wire.length - before.get(d)!.wire })).filter((d) => d.stack || d.wire);
        if (opts.out) {
          mkdirSync(opts.out, { recursive: true });
          for (const d of devices) {
            for (const kind of ['stack', 'wire'] as const) {
              const fresh = d[kind].slice(before.get(d)![kind]);
              if (!fresh.length) continue;
              const sink = ByteSink.toFile(join(opts.out, `${d.name}.${kind}.pcap`));
              const w = new PcapWriter(sink);
              fresh.forEach((f, i) => w.writePacket(f.data, BigInt(Date.now()) * 1_000_000n + BigInt(i)));
              sink.close();
            }
          }
        }
        for (const d of devices) {
          d.stack.length = 0;
          d.wire.length = 0;
        }
        const report = { device: iface, frames: frames.length, runts: result.runts, actions: result.actions, delivered, loops: result.loops, events: result.events };
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
