#!/usr/bin/env node
/**
 * The xdpchain demo: several XDP programs on one interface over real frames, driven by real
 * `xdpchain` invocations against a fresh state directory (printed so they can be re-run).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticPcap } from '../../src/pcap/file.js';
import { demoTraffic } from './traffic.js';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist-tools/tools/demo/: the CLI is the repository's built dist/cli/main.js.
const root = join(here, '..', '..', '..');
const cliPath = join(root, 'dist', 'cli', 'main.js');
const progs = join(root, 'progs', 'build');
const packets = Number(process.argv[2] ?? 10_000);
const work = mkdtempSync(join(tmpdir(), 'xdpchain-demo-'));
const state = join(work, 'state');

function step(title: string): void {
  process.stdout.write(`\n## ${title}\n`);
}

function xdpchain(...args: string[]): void {
  const shown = args.map((a) => a.replace(progs, 'progs/build').replace(work, '$DEMO'));
  process.stdout.write(`$ xdpchain ${shown.join(' ')}\n`);
  const out = execFileSync(process.execPath, [cliPath, '--state', state, ...args], { encoding: 'utf8' });
  if (out.trim()) process.stdout.write(`${out.trimEnd().replace(/^/gm, '  ')}\n`);
}

const traffic = join(work, 'traffic.pcap');
const mix = demoTraffic();
writeSyntheticPcap(traffic, packets, (i) => mix[i % mix.length]);
process.stdout.write(`xdpchain demo: ${packets} frames in $DEMO/traffic.pcap (DEMO=${work})\n`);

step('An edge interface, and three independent XDP programs sharing it through a dispatcher');
xdpchain('netdev', 'add', 'edge0', '--peer', 'client0');
xdpchain('load', 'edge0', join(progs, 'ipv6_blocker.o'), join(progs, 'udp_counter.o'));
xdpchain('load', 'edge0', join(progs, 'firewall.o'), '--prio', '30');
xdpchain('map', 'update', 'deny_prefix', 'u32:24,ipv4:198.51.100.0', 'u32:1');
xdpchain('map', 'update', 'deny_port', 'u8:6,u8:0,be16:23', 'u32:1');
xdpchain('status', 'edge0');

step('Traffic arrives on edge0: each program sees it in priority order, until one decides');
xdpchain('inject', 'edge0', traffic);
xdpchain('status', 'edge0', '--json');
xdpchain('map', 'dump', 'rule_stats');
xdpchain('map', 'dump', 'udp_totals');

step('Chain calls (the 2019 series): a router TTL step, then a port ACL on XDP_PASS');
xdpchain('netdev', 'add', 'core0', '--peer', 'core1');
xdpchain('prog', 'load', join(progs, 'ttl_guard.o'));
xdpchain('prog', 'load', join(progs, 'port_acl.o'));
xdpchain('attach', 'core0', 'xdp_ttl_guard');
xdpchain('chain', 'add', 'xdp_ttl_guard', 'XDP_PASS', 'xdp_port_acl');
xdpchain('inject', 'core0', traffic);
xdpchain('prog', 'show', 'xdp_ttl_guard');
xdpchain('prog', 'show', 'xdp_port_acl');

step('Every device, with what it runs and what it counted');
xdpchain('netdev', 'list');
process.stdout.write(`\nThe state is kept in ${state}: try  node ${cliPath} --state ${state} status\n`);
