import type { Command } from 'commander';
import { conntrackLine, conntrackRecord } from '../../conntrack/format.js';
import { addRequestFromText } from '../../conntrack/request.js';
import { intOption } from '../object.js';
import { action, emit } from '../output.js';
import { withSession } from '../session.js';

interface AddOptions {
  proto: string;
  src: string;
  dst: string;
  sport: string;
  dport: string;
  timeout?: string;
  mark?: string;
  status?: string;
  tcpState?: string;
  zone?: string;
  dstNat?: string;
  srcNat?: string;
  json?: boolean;
}

/** `conntrack list|add|flush`: the runtime's connection tracking table, like conntrack -L, -I and -F. */
export function registerConntrack(root: Command): void {
  const ct = root.command('conntrack').description('list, add to and flush the connection tracking table (conntrack -L/-I/-F)');
  ct.command('list')
    .description('print every entry as conntrack -L does (seconds left, tuples, [UNREPLIED], [ASSURED], mark, zone, use)')
    .option('--json', 'print JSON')
    .action(
      action((opts: { json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const table = s.rt.conntrack;
          const entries = table.entries();
          if (opts.json)
            emit(
              opts,
              entries.map((e) => conntrackRecord(table, e)),
              () => '',
            );
          else {
            emit(opts, entries, (es) => es.map((e) => conntrackLine(table, e)).join('\n'));
            process.stderr.write(`${entries.length} flow entries have been shown.\n`);
          }
        }),
      ),
    );
  ct.command('add')
    .description('create a confirmed entry, as conntrack -I does')
    .requiredOption('--proto <tcp|udp>', 'protocol (-p)')
    .requiredOption('--src <ip>', 'original source address, IPv4 or IPv6 (-s)')
    .requiredOption('--dst <ip>', 'original destination address (-d)')
    .requiredOption('--sport <n>', 'original source port')
    .requiredOption('--dport <n>', 'original destination port')
    .option('--timeout <seconds>', 'lifetime (-t); default 30 for udp, 432000 for tcp')
    .option('--mark <n>', 'connection mark (-m)')
    .option('--status <bits>', 'status bits, comma-separated: SEEN_REPLY,ASSURED,FIXED_TIMEOUT,... (-u)')
    .option('--tcp-state <name>', 'TCP state (conntrack --state; --state names the state directory here): NONE, SYN_SENT, ESTABLISHED, ... (default NONE)')
    .option('--zone <n>', 'zone id, both directions (-w)')
    .option('--dst-nat <ip[:port]>', 'destination NAT: the reply comes from this address (and port)')
    .option('--src-nat <ip[:port]>', 'source NAT: the reply goes to this address (and port)')
    .option('--json', 'print the entry as JSON')
    .action(
      action((opts: AddOptions, cmd: Command) =>
        withSession(cmd, (s) => {
          const table = s.rt.conntrack;
          const entry = table.add(
            addRequestFromText({
              proto: opts.proto,
              src: opts.src,
              dst: opts.dst,
              sport: intOption(opts.sport, '--sport'),
              dport: intOption(opts.dport, '--dport'),
              ...(opts.timeout !== undefined ? { timeout: intOption(opts.timeout, '--timeout') } : {}),
              ...(opts.mark !== undefined ? { mark: intOption(opts.mark, '--mark') } : {}),
              ...(opts.status !== undefined ? { status: opts.status.split(',') } : {}),
              ...(opts.tcpState !== undefined ? { tcpState: opts.tcpState } : {}),
              ...(opts.zone !== undefined ? { zone: intOption(opts.zone, '--zone') } : {}),
              ...(opts.dstNat !== undefined ? { dstNat: opts.dstNat } : {}),
              ...(opts.srcNat !== undefined ? { srcNat: opts.srcNat } : {}),
            }),
          );
          emit(opts, conntrackRecord(table, entry), () => conntrackLine(table, entry));
        }),
      ),
    );
  ct.command('flush')
    .description('delete every entry, as conntrack -F does')
    .option('--json', 'print JSON')
    .action(
      action((opts: { json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const flushed = s.rt.conntrack.flush();
          emit(opts, { flushed }, (r) => `${r.flushed} flow entries flushed`);
        }),
      ),
    );
}
