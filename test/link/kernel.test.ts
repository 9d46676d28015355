/**
 * The linker's output against the kernel: libbpf (bpftool) and the verifier accept every object
 * it writes, and a statically linked dispatcher gives the same answers on xdpchain and on the
 * kernel's BPF_PROG_TEST_RUN. Without a usable kernel the tests are skipped with the reason in
 * their title; XDPCHAIN_REQUIRE_KERNEL=1 (CI) turns that skip into a failure.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linkDispatcher } from '../../src/link/dispatcher.js';
import { linkObjects } from '../../src/link/linker.js';
import { writeObject } from '../../src/link/object-writer.js';
import { ipv4TcpSynFrame, ipv4UdpFrame } from '../../src/packet/index.js';
import { diffCaseResults } from '../differential/golden.js';
import { kernelAvailability, possibleCpus, repoRoot, runScenarioOnKernel } from '../differential/kernel-oracle.js';
import type { CaseResult, MapUpdate, Scenario } from '../differential/scenario.js';
import { be16, frameCase, ipv4, mac, standardCases, u32le, u8, zeros } from '../differential/scenarios/common.js';
import { runCaseOnXdpchain } from '../differential/xdpchain-runner.js';
import { loadAll } from './kernel-load.js';
import { corpus, corpusObjects, fixture, read } from './objects.js';

const REQUIRE = process.env.XDPCHAIN_REQUIRE_KERNEL === '1';
const kernel = await kernelAvailability();
const out = mkdtempSync(join(tmpdir(), 'xdpchain-link-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const path = join(out, `${name}.o`);
  writeFileSync(path, bytes);
  return path;
}

/** The load error of objects that need what `bpftool prog loadall` cannot give: a target program, a device. */
const NEEDS = {
  ext: /attach program FD is not set/,
  device: /metadata kfuncs require device-bound program/,
} as const;

/** Every object the tests write: corpus round trips, linked rootlets, dispatchers. */
function writtenObjects(): { path: string; original?: string; needs?: keyof typeof NEEDS }[] {
  const list: { path: string; original?: string; needs?: keyof typeof NEEDS }[] = corpusObjects().map((f) => {
    const spec = read(`progs/build/${f}`);
    const programs = [...spec.programs.values()];
    const needs = programs.some((p) => p.type === 'ext')
      ? 'ext'
      : programs.some((p) => p.references.some((r) => r.kind === 'kfunc' && r.name.startsWith('bpf_xdp_metadata_rx_')))
        ? 'device'
        : undefined;
    return { path: write(`rt_${f.replace(/\.o$/, '')}`, writeObject(spec)), original: join(repoRoot(), 'progs/build', f), ...(needs ? { needs } : {}) };
  });
  const rootlet = [fixture('rootlet'), corpus('proto_counters'), corpus('firewall')];
  list.push(
    { path: write('rootlet', linkObjects(rootlet)) },
    { path: write('rootlet_strong', linkObjects([...rootlet, fixture('strong_extra')])) },
    { path: write('shared_map', linkObjects([corpus('proto_counters'), fixture('stats_same')])) },
    { path: write('data_apart', linkObjects([corpus('firewall'), corpus('vlan'), corpus('adjust_tail'), corpus('load_balancer')])) },
    { path: write('dispatcher4', linkDispatcher(['ipv6_blocker', 'firewall', 'load_balancer', 'udp_counter'].map((n) => ({ spec: corpus(n) })))) },
    {
      path: write(
        'dispatcher_lb_tx',
        linkDispatcher([
          { spec: corpus('nat') },
          { spec: corpus('load_balancer'), chainCallActions: [2, 3] },
          { spec: corpus('tail_call'), program: 'xdp_tail_root' },
        ]),
      ),
    },
  );
  return list;
}

const VIP = '10.0.0.100';
const vipKey = (addr: string, port: number, proto: number) => ipv4(addr) + be16(port) + u8(proto) + u8(0);
const SETUP: MapUpdate[] = [
  { map: 'deny_src', key: ipv4('10.0.6.6'), value: u32le(200) },
  { map: 'deny_port', key: u8(17) + u8(0) + be16(161), value: u32le(401) },
  { map: 'vips', key: vipKey(VIP, 80, 6), value: u32le(0) + u32le(2) },
  ...[0, 1].map((i) => ({ map: 'backends', key: u32le(i), value: ipv4(`10.1.0.${17 + i}`) + mac(`02:00:00:00:01:${(17 + i).toString(16)}`) + zeros(2) })),
];

/** The maps both sides name alike (the kernel keeps 15 characters of a map name). */
function commonMaps(a: CaseResult, b: CaseResult): [CaseResult, CaseResult, string[]] {
  if ('error' in a || 'error' in b) return [a, b, []];
  const names = Object.keys(a.maps)
    .filter((n) => n in b.maps)
    .sort();
  const pick = (r: typeof a) => ({ ...r, maps: Object.fromEntries(names.map((n) => [n, r.maps[n]])) });
  return [pick(a), pick(b), names];
}

describe.sequential('linked objects on the kernel', () => {
  if (!kernel.available) {
    if (REQUIRE) {
      it('needs the kernel (XDPCHAIN_REQUIRE_KERNEL=1)', () => {
        throw new Error(`kernel test-run unavailable: ${kernel.reason}`);
      });
    } else {
      it.skip(`skipped, kernel unavailable: ${kernel.reason}`, () => {});
    }
    return;
  }

  it('bpftool prog loadall accepts every object the linker writes', async () => {
    const objects = writtenObjects();
    const results = await loadAll([...objects.map((o) => o.path), ...objects.filter((o) => o.needs).map((o) => o.original!)]);
    for (const o of objects) {
      const r = results.get(o.path)!;
      if (o.needs) {
        // freplace programs need a target program, metadata kfunc callers a device: the written
        // object must fail exactly as the original does.
        const orig = results.get(o.original!)!;
        expect(orig.loaded).toBe(false);
        expect(r.loaded).toBe(false);
        expect(r.log).toMatch(NEEDS[o.needs]);
        expect(orig.log).toMatch(NEEDS[o.needs]);
        continue;
      }
      expect(r.loaded ? '' : r.log.split('\n').slice(-12).join('\n'), relative(out, o.path)).toBe('');
    }
  }, 300_000);

  it("a linked dispatcher gives the kernel's answers on the standard packets", async () => {
    const path = write('dispatcher', linkDispatcher(['udp_counter', 'firewall', 'ipv6_blocker', 'load_balancer'].map((n) => ({ spec: corpus(n) }))));
    const scenario: Scenario = {
      name: 'linked-dispatcher',
      object: relative(repoRoot(), path),
      program: 'xdp_dispatcher',
      setup: SETUP,
      packets: [
        ...standardCases(),
        frameCase('denied-src', ipv4UdpFrame({ src: '10.0.6.6' })),
        frameCase('denied-port', ipv4UdpFrame({ dstPort: 161 })),
        frameCase('vip-tcp', ipv4TcpSynFrame({ dst: VIP, srcPort: 40001 })),
        frameCase('vip-tcp-other-flow', ipv4TcpSynFrame({ dst: VIP, srcPort: 40002 })),
      ],
    };
    const cpus = possibleCpus();
    const kernelCases = await runScenarioOnKernel(scenario);
    const verdicts = new Set<number>();
    const problems: string[] = [];
    let compared: string[] = [];
    scenario.packets.forEach((p, i) => {
      const mine = runCaseOnXdpchain(scenario, p, { engine: 'interp', possibleCpus: cpus });
      const [k, x, names] = commonMaps(kernelCases[i].result, mine);
      compared = names;
      if (!('error' in k)) verdicts.add(k.retval);
      problems.push(...diffCaseResults(k, x).map((d) => `${p.name}: ${d}`));
    });
    expect(problems).toEqual([]);
    // The packets take every way out: dropped by the blocker or the firewall, TX by the balancer, passed by all.
    expect([...verdicts].sort()).toEqual([1, 2, 3]);
    expect(compared).toEqual(expect.arrayContaining(['.bss', 'backend_stats', 'ipv6_blocker_seen', 'rule_stats', 'udp_totals']));
  }, 300_000);
});
