import type { Command } from 'commander';
import { formatMac, parseMac } from '../../packet/bytes.js';
import { xdpDescription } from '../describe.js';
import { intOption } from '../object.js';
import { parseRxMetadataOps } from '../../xdp/rx-metadata.js';
import { action, emit } from '../output.js';
import { withSession } from '../session.js';

export function registerNetdev(root: Command): void {
  const netdev = root.command('netdev').description('create and list network devices (veth-style pairs with --peer)');
  netdev
    .command('add')
    .description('create a device, or a pair whose ends receive what the other transmits')
    .argument('<name>')
    .option('--peer <name>', 'create a veth-style pair with this other end')
    .option('--ifindex <n>', 'interface index (default: the next free one)')
    .option('--mac <mac>', 'MAC address')
    .option('--mtu <n>', 'MTU (default 1500)')
    .option('--rx-metadata <list>', 'the XDP RX metadata kfuncs the device (both ends of a pair) implements: any of timestamp,hash,vlan')
    .option('--rx-vlan-strip', 'RX VLAN offload: frames from the wire lose their outer tag, which bpf_xdp_metadata_rx_vlan_tag reports')
    .option('--json', 'print JSON')
    .action(
      action(
        (
          name: string,
          opts: { peer?: string; ifindex?: string; mac?: string; mtu?: string; rxMetadata?: string; rxVlanStrip?: boolean; json?: boolean },
          cmd: Command,
        ) =>
          withSession(cmd, (s) => {
            const dev = s.rt.fabric.add(name, {
              peer: opts.peer,
              ifindex: opts.ifindex ? intOption(opts.ifindex, '--ifindex') : undefined,
              rxMetadata: opts.rxMetadata !== undefined ? parseRxMetadataOps(opts.rxMetadata) : [],
              rxVlanStrip: opts.rxVlanStrip ?? false,
            });
            if (opts.mac) dev.mac = parseMac(opts.mac);
            if (opts.mtu) dev.mtu = intOption(opts.mtu, '--mtu');
            const made = [dev, ...(dev.peer ? [dev.peer] : [])].map((d) => ({ name: d.name, ifindex: d.ifindex }));
            emit(opts, made, (m) => m.map((d) => `${d.name}: ifindex ${d.ifindex}`).join('\n'));
          }),
      ),
    );
  netdev
    .command('del')
    .description('delete a device (and its peer)')
    .argument('<name>')
    .action(
      action((name: string, _opts: unknown, cmd: Command) =>
        withSession(cmd, (s) => {
          const dev = s.rt.fabric.get(name);
          for (const d of [dev, dev.peer]) if (d && s.rt.xdp.linkOf(d)) s.rt.links.detach(s.rt.xdp.linkOf(d)!.id);
          s.rt.deleteDevice(name);
        }),
      ),
    );
  netdev
    .command('list')
    .description('list devices with their XDP attachment and counters')
    .option('--json', 'print JSON')
    .action(
      action((opts: { json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const devs = s.rt.fabric.list().map((d) => ({
            name: d.name,
            ifindex: d.ifindex,
            peer: d.peer?.name ?? null,
            mac: formatMac(d.mac),
            mtu: d.mtu,
            xdp: xdpDescription(s.rt, d),
            rxMetadata: [...d.rxMetadata],
            rxVlanStrip: d.rxVlanStrip,
            stats: d.stats,
          }));
          emit(opts, devs, (list) =>
            list
              .map((d) =>
                [
                  `${d.ifindex}: ${d.name}${d.peer ? `@${d.peer}` : ''}  mtu ${d.mtu}  ${d.mac}`,
                  `    xdp: ${d.xdp ?? 'none'}`,
                  ...(d.rxMetadata.length || d.rxVlanStrip
                    ? [`    rx metadata: ${d.rxMetadata.join(',') || 'none'}${d.rxVlanStrip ? '  rx-vlan-strip' : ''}`]
                    : []),
                  `    rx ${d.stats.rxPackets} pkts  tx ${d.stats.txPackets} pkts  pass ${d.stats.passed}  drop ${d.stats.dropped}  aborted ${d.stats.aborted}  tx-xdp ${d.stats.transmitted}  redirect ${d.stats.redirected}${d.stats.rxLengthErrors ? `  rx-length-errors ${d.stats.rxLengthErrors}` : ''}`,
                ].join('\n'),
              )
              .join('\n'),
          );
        }),
      ),
    );
  netdev
    .command('addr')
    .description('add an address (its connected and local routes) to a device')
    .argument('<name>')
    .argument('<cidr>', 'e.g. 10.0.0.1/24 or fd00::1/64')
    .action(
      action((name: string, cidr: string, _o: unknown, cmd: Command) =>
        withSession(cmd, (s) => s.rt.fabric.routing.addAddress(s.rt.fabric.get(name).ifindex, cidr)),
      ),
    );
  netdev
    .command('route')
    .description('add a route, in ip-route syntax: "10.2.0.0/16 via 10.1.0.1 dev eth1", "blackhole 10.9.0.0/16"')
    .argument('<route...>')
    .action(
      action((words: string[], _o: unknown, cmd: Command) =>
        withSession(cmd, (s) => void s.rt.fabric.routing.addRoute(words.join(' '), (n) => s.rt.fabric.get(n).ifindex)),
      ),
    );
  netdev
    .command('neigh')
    .description('add a neighbour (ARP/NDP) entry')
    .argument('<name>', 'device')
    .argument('<address>')
    .argument('<mac>')
    .action(
      action((name: string, address: string, mac: string, _o: unknown, cmd: Command) =>
        withSession(cmd, (s) => s.rt.fabric.routing.addNeighbour(s.rt.fabric.get(name).ifindex, address, mac)),
      ),
    );
  netdev
    .command('sysctl')
    .description('set a forwarding switch, e.g. net.ipv4.conf.all.forwarding 1')
    .argument('<name>')
    .argument('<value>')
    .action(
      action((name: string, value: string, _o: unknown, cmd: Command) =>
        withSession(cmd, (s) => s.rt.fabric.routing.applySysctl(name, value, (n) => s.rt.fabric.get(n).ifindex)),
      ),
    );
}
