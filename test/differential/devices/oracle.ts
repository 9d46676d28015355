/**
 * The kernel as oracle for device scenarios (scenario.ts). Per case, in fresh mount and network
 * namespaces (a temporary bpffs, nothing pinned under /sys/fs/bpf; IPv6 off so that no neighbour
 * discovery reaches the program): a veth pair with fixed ifindexes, the object loaded bound to one
 * end (netdev-tool.c, built here with clang and libbpf, since bpftool 7.1 cannot bind) and attached
 * in native mode, the frame sent by a packet socket — from the peer (`wire`), or from the device
 * itself to be bounced back by XDP_TX on the peer (`xdp-frame`) — then the `answers` map dumped.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPFTOOL, convertDump, kernelAvailability, repoRoot, sha256File } from '../kernel-oracle.js';
import { run, shq } from '../shell.js';
import { decodeAnswers, DEVICE, type DeviceCase, type DeviceCaseResult, type DeviceGoldenFile, type DeviceScenario } from './scenario.js';

const CLANG = process.env.CLANG ?? 'clang';
let tool: Promise<{ path?: string; reason: string }> | undefined;

/** Build netdev-tool once per process; the reason says why not when it cannot be built. */
function netdevTool(): Promise<{ path?: string; reason: string }> {
  tool ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpchain-netdev-tool-'));
    const path = join(dir, 'netdev-tool');
    try {
      const r = await run(CLANG, ['-O2', '-Wall', '-o', path, join(repoRoot(), 'test/differential/devices/netdev-tool.c'), '-lbpf']);
      return r.code === 0 ? { path, reason: 'built' } : { reason: `cannot build netdev-tool.c (${CLANG}, libbpf-dev): ${r.stderr.trim().split('\n')[0]}` };
    } catch (e) {
      return { reason: `cannot run ${CLANG}: ${(e as Error).message}` };
    }
  })();
  return tool;
}

/** Whether device scenarios can run on this kernel, and why not. */
export async function deviceOracleAvailability(): Promise<{ available: boolean; reason: string }> {
  const k = await kernelAvailability();
  if (!k.available) return k;
  const t = await netdevTool();
  if (!t.path) return { available: false, reason: t.reason };
  const probe = await run('unshare', ['--net', 'ip', 'link', 'add', 'vx0', 'type', 'veth', 'peer', 'name', 'vx1']);
  if (probe.code !== 0) return { available: false, reason: `cannot create a veth pair: ${probe.stderr.trim()}` };
  return { available: true, reason: 'kernel, veth and netdev-tool available' };
}

async function runCase(s: DeviceScenario, dc: DeviceCase, toolPath: string): Promise<DeviceCaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'xdpchain-device-'));
  try {
    const bpffs = join(dir, 'bpffs');
    const bound = join(bpffs, 'bound');
    const object = join(repoRoot(), s.object);
    const hex = /^[0-9a-f]+$/.test(dc.data) ? dc.data : '';
    if (!hex) throw new Error(`case ${dc.name}: frame is not hex`);
    const send =
      dc.path === 'wire'
        ? [`${shq(toolPath)} send ${DEVICE.peer} ${hex}`]
        : [
            `${BPFTOOL} prog load ${shq(join(repoRoot(), 'progs/build/xdp_tx.o'))} ${shq(join(bpffs, 'tx'))}`,
            `${BPFTOOL} net attach xdp pinned ${shq(join(bpffs, 'tx'))} dev ${DEVICE.peer}`,
            `${shq(toolPath)} send ${DEVICE.name} ${hex}`,
          ];
    const script = [
      'set -e',
      'sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1',
      `mkdir ${shq(bpffs)}`,
      `mount -t bpf bpf ${shq(bpffs)}`,
      `mkdir -p ${shq(bound)}`,
      `ip link add ${DEVICE.name} index ${DEVICE.ifindex} type veth peer name ${DEVICE.peer} index ${DEVICE.peerIfindex}`,
      `ip link set ${DEVICE.name} up`,
      `ip link set ${DEVICE.peer} up`,
      `${shq(toolPath)} load ${shq(object)} ${shq(bound)} ${DEVICE.ifindex}`,
      `${BPFTOOL} net attach xdp pinned ${shq(join(bound, s.program))} dev ${DEVICE.name}`,
      ...send,
      // The frame is received in the device's NAPI poll, after the send returns.
      'sleep 0.3',
      `${BPFTOOL} -j map dump pinned ${shq(join(bound, 'map_answers'))} > ${shq(join(dir, 'answers.json'))}`,
    ].join('\n');
    const r = await run('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', script]);
    if (r.code !== 0)
      throw new Error(`device scenario ${s.name}, case ${dc.name}: the kernel side failed:\n${r.stderr.trim().split('\n').slice(-10).join('\n')}`);
    const [entry] = convertDump('answers', JSON.parse(readFileSync(join(dir, 'answers.json'), 'utf8')));
    return decodeAnswers(Uint8Array.from(Buffer.from(entry.value!, 'hex')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every case of a device scenario on the kernel, in order. */
export async function runDeviceScenarioOnKernel(s: DeviceScenario): Promise<{ name: string; result: DeviceCaseResult }[]> {
  const t = await netdevTool();
  if (!t.path) throw new Error(t.reason);
  const out: { name: string; result: DeviceCaseResult }[] = [];
  for (const dc of s.cases) out.push({ name: dc.name, result: await runCase(s, dc, t.path) });
  return out;
}

export async function recordDeviceGolden(s: DeviceScenario): Promise<DeviceGoldenFile> {
  return {
    scenario: s.name,
    object: s.object,
    objectSha256: sha256File(join(repoRoot(), s.object)),
    kernel: release(),
    recorded: new Date().toISOString(),
    cases: await runDeviceScenarioOnKernel(s),
  };
}
