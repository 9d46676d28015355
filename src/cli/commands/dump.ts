import type { Command } from 'commander';
import { resolve } from 'node:path';
import { XdpchainError } from '../../errors/index.js';
import { readEthernetCapture } from '../capture.js';
import { captureRegistry, captureState } from '../../state/capture-state.js';
import { registerStateExtension } from '../../state/session.js';
import type { CapturedPacket, CaptureSpec } from '../../trace/capture.js';
import { action, emit } from '../output.js';
import { withSession } from '../session.js';

registerStateExtension(captureState);

interface DumpOptions {
  program?: string;
  entry?: boolean;
  exit?: boolean;
  write?: string;
  format: string;
  pcap?: string;
  print?: boolean;
  list?: boolean;
  stop?: string;
  json?: boolean;
}

const line = (p: CapturedPacket): string =>
  `${p.program}()@${p.point}${p.action ? `[${p.action.replace(/^XDP_/, '')}]` : ''}: packet size ${p.length} bytes on ${p.device}`;

export function registerDump(root: Command): void {
  root
    .command('dump')
    .description("xdpdump: capture frames at the entry and/or exit of a program (or a device's whole hook) into pcapng")
    .argument('[iface]')
    .option('--program <prog>', 'capture around this program (id or name) instead of the whole hook')
    .option('--entry', 'capture as the program starts')
    .option('--exit', 'capture as it returns, with its action (default: both entry and exit)')
    .option('-w, --write <file>', 'capture file to write')
    .option(
      '--format <format>',
      'pcapng (each packet\'s program, id, point and action as interface name, comment and verdict: tshark, Wireshark), or pflog (a pcap that `tcpdump -r FILE -e` prints as "rule ID.ACTION.0/0(match): pass|block in|out on PROGRAM: <IP packet>"; frames lose their Ethernet header)',
      'pcapng',
    )
    .option('--pcap <capture>', 'inject this capture now, capture it, and stop (otherwise the capture stays on for later invocations)')
    .option('--print', 'also print a line per captured frame')
    .option('--list', 'list captures that are on')
    .option('--stop <file>', 'stop a capture (or all)')
    .option('--json', 'print JSON')
    .action(
      action((iface: string | undefined, opts: DumpOptions, cmd: Command) =>
        withSession(cmd, (s) => {
          const reg = captureRegistry(s);
          if (opts.list) {
            const rows = [...reg.captures].map(([file, c]) => ({ file, ...c.capture.spec, packets: c.capture.count }));
            emit(
              opts,
              rows,
              (r) =>
                r
                  .map(
                    (c) =>
                      `${c.file}: ${c.device}${c.program !== undefined ? ` program ${c.program}` : ' (whole hook)'} ${[c.entry && 'entry', c.exit && 'exit'].filter(Boolean).join('+')}, ${c.packets} frames`,
                  )
                  .join('\n') || 'no captures',
            );
            return;
          }
          if (opts.stop) {
            const files = opts.stop === 'all' ? [...reg.captures.keys()] : [resolve(opts.stop)];
            for (const f of files) {
              const c = reg.captures.get(f);
              if (!c && reg.stoppedOnRestore.has(f)) continue;
              if (!c) throw new XdpchainError('ENOENT', `no capture writes ${f} (see dump --list)`);
              c.sink.close();
              reg.captures.delete(f);
            }
            return;
          }
          if (!iface || !opts.write)
            throw new XdpchainError('EINVAL', 'usage: dump IFACE -w FILE [--format pcapng|pflog] [--program P] [--entry] [--exit] [--pcap IN]');
          const dev = s.rt.fabric.get(iface);
          if (opts.format !== 'pcapng' && opts.format !== 'pflog') throw new XdpchainError('EINVAL', `--format ${opts.format}: pcapng or pflog`);
          const spec: CaptureSpec = {
            device: dev.name,
            entry: opts.entry ?? !opts.exit,
            exit: opts.exit ?? !opts.entry,
            ...(opts.format === 'pflog' ? { format: 'pflog' as const } : {}),
          };
          if (opts.program) spec.program = s.program(opts.program).id;
          const file = resolve(opts.write);
          if (reg.captures.has(file)) throw new XdpchainError('EEXIST', `a capture already writes ${file}`);
          const capture = reg.start(s, file, spec);
          if (!opts.pcap) {
            emit(opts, { file, capturing: spec }, () => `capturing on ${dev.name} into ${file} until: xdpchain dump --stop ${file}`);
            return;
          }
          const printed: CapturedPacket[] = [];
          capture.onPacket = (p) => printed.push(p);
          const frames = [...readEthernetCapture(opts.pcap, `--pcap ${opts.pcap}`)].map((r) => r.data);
          s.rt.fabric.inject(dev, frames);
          reg.captures.get(file)!.sink.close();
          reg.captures.delete(file);
          emit(opts, { file, frames: frames.length, captured: capture.count, packets: printed }, (r) =>
            [...(opts.print ? r.packets.map(line) : []), `${r.captured} frames captured into ${r.file}`].join('\n'),
          );
        }),
      ),
    );
}
