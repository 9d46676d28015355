/**
 * Dispatcher compositions of our C programs, three ways, packet for packet:
 *
 *  1. xdpchain's runtime dispatcher (src/runtime/dispatcher.ts): each component loaded from its own
 *     object and reached by freplace links, on every engine (and, as a cross-check, by callx on the
 *     reference interpreter);
 *  2. the statically linked dispatcher object (src/link/dispatcher.ts) written to disk, read back
 *     and run on xdpchain, on both engines;
 *  3. that same object run by the kernel (`bpftool prog run`).
 *
 * All three must agree on the verdict and the output frame for every packet, and on the maps the
 * sides can name alike (the runtime side keeps each component's maps apart, so only named maps,
 * not `.bss`/`.data`, are compared with it). Every packet starts from the same state: a fresh load
 * with the same map setup on every side. Without a usable kernel the kernel side is skipped with
 * the reason in its title; XDPCHAIN_REQUIRE_KERNEL=1 (CI) turns that skip into a failure.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { XdpchainError } from '../../src/errors/index.js';
import { seededRandom, steppingClock } from '../../src/helpers/services.js';
import { linkDispatcherSpecs, type DispatcherComponentInput } from '../../src/link/dispatcher.js';
import { writeObject } from '../../src/link/object-writer.js';
import { fromHex, ipv4IcmpEchoFrame, ipv4TcpSynFrame, ipv4UdpFrame, ipv6UdpFrame, toHex } from '../../src/packet/index.js';
import type { DispatcherMode } from '../../src/runtime/dispatcher.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { CollectionSpec } from '../../src/object-spec/collection-spec.js';
import type { EngineName } from '../../src/vm/engine.js';
import { XdpAction } from '../../src/xdp/constants.js';
import { diffCaseResults } from '../differential/golden.js';
import { kernelAvailability, possibleCpus, repoRoot, runScenarioOnKernel, UNDUMPABLE_MAP_TYPES } from '../differential/kernel-oracle.js';
import type { CaseResult, MapDump, MapUpdate, PacketCase, Scenario } from '../differential/scenario.js';
import { be16, frameCase, ipv4, mac, standardCases, u32le, u8, zeros } from '../differential/scenarios/common.js';
import { dumpMap, runCaseOnXdpchain } from '../differential/xdpchain-runner.js';
import { engines } from '../vm/engines.js';
import { corpus } from './objects.js';

const { ABORTED, DROP, PASS, TX } = XdpAction;
const REQUIRE = process.env.XDPCHAIN_REQUIRE_KERNEL === '1';
const kernel = await kernelAvailability();
const out = mkdtempSync(join(tmpdir(), 'xdpchain-compositions-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const cpus = possibleCpus();
const engineNames = engines.map((e) => e.name as EngineName);

/** One component: an object of progs/build, the XDP program to take, and run-configuration overrides. */
interface Part {
  object: string;
  program?: string;
  priority?: number;
  chainCallActions?: number[];
}

interface Composition {
  name: string;
  parts: Part[];
  /** The run order both dispatchers must come to (function names). */
  order: string[];
  /** Verdicts some packets must get (on every side), so a broken setup cannot pass unnoticed. */
  expect: Record<string, number | { retval: number; bytes: number }>;
}

const COMPOSITIONS: Composition[] = [
  {
    // Run configurations from .xdp_run_config only: the blocker (priority 10, continue on PASS) first.
    name: 'blocker-firewall',
    parts: [{ object: 'firewall' }, { object: 'ipv6_blocker' }],
    order: ['xdp_ipv6_blocker', 'xdp_firewall'],
    expect: { 'ipv4-udp': PASS, 'ipv6-udp': DROP, 'denied-src': DROP, 'denied-port': DROP, 'vip-tcp': PASS },
  },
  {
    // A priority tie (20) broken by name: the ACL (which answers pings with TX) runs before the TTL step.
    name: 'ttl-acl-tie',
    parts: [
      { object: 'ttl_guard', priority: 20 },
      { object: 'port_acl', priority: 20, chainCallActions: [PASS] },
    ],
    order: ['xdp_port_acl', 'xdp_ttl_guard'],
    expect: { 'ipv4-icmp': TX, 'acl-telnet': DROP, 'ttl-1': DROP, 'ipv6-hop-1': DROP, 'ipv4-udp': PASS },
  },
  {
    // NAT, then the balancer continuing on TX (its rewritten frame goes on), then the counter that
    // continues on everything it returns: a frame every component continued on ends as XDP_PASS.
    name: 'nat-lb-counter',
    parts: [{ object: 'udp_counter' }, { object: 'load_balancer', priority: 40, chainCallActions: [PASS, TX] }, { object: 'nat', priority: 30 }],
    order: ['xdp_nat', 'xdp_load_balancer', 'xdp_udp_counter'],
    // Rewritten by NAT, encapsulated by the balancer (+20 bytes), and still XDP_PASS in the end.
    expect: { 'dnat-to-vip': { retval: PASS, bytes: 94 }, 'vip-tcp': { retval: PASS, bytes: 94 }, 'ipv4-udp': PASS },
  },
  {
    // One program chosen out of a two-program object; a tie at the default priority 50 broken by
    // name (lpm_filter before proto_counters); lpm_filter continues on DROP as well as PASS.
    name: 'vlan-lpm-proto',
    parts: [{ object: 'proto_counters' }, { object: 'lpm_filter', chainCallActions: [PASS, DROP] }, { object: 'vlan', program: 'xdp_vlan_pop', priority: 5 }],
    order: ['xdp_vlan_pop', 'xdp_lpm_filter', 'xdp_proto_counters'],
    // lpm-drop continues (DROP is in the filter's actions); the tag is popped (-4 bytes).
    expect: { 'lpm-tx': TX, 'lpm-drop': PASS, 'lpm-abort': ABORTED, 'vlan-ipv4-udp': { retval: PASS, bytes: 60 } },
  },
  {
    // Ten programs: defaults, .xdp_run_config, overrides, two ties broken by name, and chain
    // actions beyond PASS (the parser and the counter continue on DROP).
    name: 'ten',
    parts: [
      { object: 'udp_counter' },
      { object: 'proto_counters', priority: 70 },
      { object: 'load_balancer', priority: 45 },
      { object: 'nat', priority: 40 },
      { object: 'lpm_filter' },
      { object: 'firewall' },
      { object: 'ttl_guard', priority: 20 },
      { object: 'port_acl', priority: 20 },
      { object: 'parser', priority: 15, chainCallActions: [PASS, DROP] },
      { object: 'ipv6_blocker' },
    ],
    order: [
      'xdp_ipv6_blocker',
      'xdp_parser',
      'xdp_port_acl',
      'xdp_ttl_guard',
      'xdp_nat',
      'xdp_load_balancer',
      'xdp_firewall',
      'xdp_lpm_filter',
      'xdp_udp_counter',
      'xdp_proto_counters',
    ],
    expect: {
      'ipv6-udp': DROP,
      'ipv4-icmp': TX,
      'acl-telnet': DROP,
      'ttl-1': DROP,
      'vip-tcp': { retval: TX, bytes: 94 },
      'dnat-to-vip': { retval: TX, bytes: 94 },
      'denied-src': DROP,
      'lpm-tx': TX,
      'lpm-drop': DROP,
      'lpm-abort': ABORTED,
      'ipv4-udp': PASS,
    },
  },
];

const VIP = '10.0.0.100';
const PUBLIC = '203.0.113.10';
const vipKey = (addr: string, port: number, proto: number) => ipv4(addr) + be16(port) + u8(proto) + u8(0);
const lpmKey = (prefix: string, len: number) => u32le(len) + ipv4(prefix);
/** Every map update the compositions need; each composition takes those for the maps it has. */
const SETUP: MapUpdate[] = [
  // firewall
  { map: 'deny_src', key: ipv4('10.0.6.6'), value: u32le(200) },
  { map: 'deny_port', key: u8(17) + u8(0) + be16(161), value: u32le(401) },
  // load_balancer: VIP:80/tcp → backends 0 and 1
  { map: 'vips', key: vipKey(VIP, 80, 6), value: u32le(0) + u32le(2) },
  ...[0, 1].map((i) => ({ map: 'backends', key: u32le(i), value: ipv4(`10.1.0.${17 + i}`) + mac(`02:00:00:00:01:${(17 + i).toString(16)}`) + zeros(2) })),
  // nat: PUBLIC:8080/tcp → VIP:80 (so the balancer then takes it), client 10.0.0.1:40000/udp → 198.51.100.1:1000
  { map: 'dnat', key: vipKey(PUBLIC, 8080, 6), value: ipv4(VIP) + be16(80) + zeros(2) },
  { map: 'snat', key: vipKey('10.0.0.1', 40000, 17), value: ipv4('198.51.100.1') + be16(1000) + zeros(2) },
  // lpm_filter: TX, DROP and a bad action (aborts) for three source prefixes
  { map: 'prefixes_v4', key: lpmKey('10.0.7.0', 24), value: u32le(TX) + u32le(1) },
  { map: 'prefixes_v4', key: lpmKey('10.0.8.0', 24), value: u32le(DROP) + u32le(2) },
  { map: 'prefixes_v4', key: lpmKey('10.0.9.0', 24), value: u32le(9) + u32le(3) },
];

/** The standard packets and frames that make particular components act. */
const PACKETS: PacketCase[] = [
  ...standardCases(),
  frameCase('denied-src', ipv4UdpFrame({ src: '10.0.6.6' })),
  frameCase('denied-port', ipv4UdpFrame({ dstPort: 161 })),
  frameCase('vip-tcp', ipv4TcpSynFrame({ dst: VIP, srcPort: 40001 })),
  frameCase('vip-tcp-other-flow', ipv4TcpSynFrame({ dst: VIP, srcPort: 40002 })),
  frameCase('dnat-to-vip', ipv4TcpSynFrame({ dst: PUBLIC, dstPort: 8080 })),
  frameCase('lpm-tx', ipv4UdpFrame({ src: '10.0.7.7' })),
  frameCase('lpm-drop', ipv4UdpFrame({ src: '10.0.8.8' })),
  frameCase('lpm-abort', ipv4UdpFrame({ src: '10.0.9.9' })),
  frameCase('ttl-1', ipv4UdpFrame({ ttl: 1, srcPort: 40005 })),
  frameCase('ipv6-hop-1', ipv6UdpFrame({ ttl: 1 })),
  frameCase('acl-telnet', ipv4TcpSynFrame({ dstPort: 23 })),
  frameCase('echo-other-id', ipv4IcmpEchoFrame({ id: 7, src: '10.0.0.3' })),
  frameCase('vlan-tcp-vip', ipv4TcpSynFrame({ dst: VIP, vlans: [{ vid: 42 }] })),
];

const specs = new Map<string, CollectionSpec>();
const spec = (object: string): CollectionSpec => {
  let s = specs.get(object);
  if (!s) specs.set(object, (s = corpus(object)));
  return s;
};

/** The one XDP program a part takes from its object. */
function programOf(part: Part): string {
  if (part.program) return part.program;
  const xdp = [...spec(part.object).programs.values()].filter((p) => p.type === 'xdp');
  if (xdp.length !== 1) throw new Error(`${part.object} has ${xdp.length} XDP programs; the composition must choose one`);
  return xdp[0].name;
}

function overrides(part: Part): { priority?: number; chainCallActions?: number[] } {
  return {
    ...(part.priority === undefined ? {} : { priority: part.priority }),
    ...(part.chainCallActions === undefined ? {} : { chainCallActions: part.chainCallActions }),
  };
}

interface Linked {
  scenario: Scenario;
  order: string[];
}

const linkedCache = new Map<string, Linked>();
/** The statically linked dispatcher of a composition, written out, as a scenario over PACKETS. */
function linked(c: Composition): Linked {
  let l = linkedCache.get(c.name);
  if (l) return l;
  const inputs: DispatcherComponentInput[] = c.parts.map((p) => ({ spec: spec(p.object), program: programOf(p), ...overrides(p) }));
  const result = linkDispatcherSpecs(inputs);
  const path = join(out, `${c.name}.o`);
  writeFileSync(path, writeObject(result.spec));
  const maps = new Set(result.spec.maps.keys());
  l = {
    scenario: {
      name: `composition-${c.name}`,
      object: relative(repoRoot(), path),
      program: 'xdp_dispatcher',
      setup: SETUP.filter((u) => maps.has(u.map)),
      packets: PACKETS,
    },
    order: result.order.map((o) => o.program.name),
  };
  linkedCache.set(c.name, l);
  return l;
}

/**
 * One packet through the runtime's dispatcher on a fresh runtime (the same clock, randomness and
 * CPU as the differential runner): every component loaded from its own object, the setup applied
 * to whichever component owns the map, the components added with the composition's overrides.
 */
function runOnRuntimeDispatcher(
  c: Composition,
  setup: MapUpdate[],
  p: PacketCase,
  engine: EngineName,
  mode: DispatcherMode,
): { result: CaseResult; order: string[] } {
  const rt = new Runtime({ engine, possibleCpus: cpus, cpu: 0, clock: steppingClock(), random: seededRandom(7), maxDataBytes: 64 << 20 });
  const dev = rt.fabric.add('eth0');
  const colls = c.parts.map((part) => rt.loadCollection(spec(part.object)));
  for (const u of setup) {
    const owners = colls.filter((k) => k.maps.has(u.map));
    if (owners.length !== 1) throw new Error(`map ${u.map} is in ${owners.length} components of ${c.name}`);
    if (!('value' in u)) throw new Error(`setup of ${u.map}: only plain values are used here`);
    owners[0].map(u.map).update(fromHex(u.key), fromHex(u.value));
  }
  const st = rt.dispatchers.add(
    dev,
    c.parts.map((part, i) => ({ program: colls[i].program(programOf(part)), ...overrides(part) })),
    { mode },
  );
  const order = st.components.map((k) => k.program.name);
  if (!st.dispatcher) throw new Error(`${c.name}: no dispatcher program`);
  let run;
  try {
    run = rt.testRun(st.dispatcher, { data: fromHex(p.data) });
  } catch (e) {
    if (e instanceof XdpchainError) return { result: { error: e.errno }, order };
    throw e;
  }
  if (run.fault) throw run.fault;
  const maps: Record<string, MapDump> = {};
  for (const coll of colls) {
    for (const [name, m] of coll.maps) {
      if (name.startsWith('.') || UNDUMPABLE_MAP_TYPES.has(m.spec.type)) continue;
      maps[name] = dumpMap(m, cpus);
    }
  }
  return { result: { retval: run.retval, dataOut: toHex(run.dataOut), maps }, order };
}

/** `b` restricted to the maps `a` has (a's named maps are a subset of the linked object's). */
function onlyMapsOf(a: CaseResult, b: CaseResult): CaseResult {
  if ('error' in a || 'error' in b) return b;
  return {
    ...b,
    maps: Object.fromEntries(
      Object.keys(a.maps)
        .filter((n) => n in b.maps)
        .map((n) => [n, b.maps[n]]),
    ),
  };
}

/** The maps both sides name alike (the kernel keeps 15 characters of a map name). */
function commonMaps(a: CaseResult, b: CaseResult): [CaseResult, CaseResult, string[]] {
  if ('error' in a || 'error' in b) return [a, b, []];
  const names = Object.keys(a.maps)
    .filter((n) => n in b.maps)
    .sort();
  const pick = (r: typeof a) => ({ ...r, maps: Object.fromEntries(names.map((n) => [n, r.maps[n]])) });
  return [pick(a), pick(b), names];
}

const brief = (r: CaseResult): string => ('error' in r ? `error ${r.error}` : `retval ${r.retval}, ${r.dataOut.length / 2} bytes out`);

/** The linked object's results on xdpchain, per composition and engine (interp's are what the kernel is compared with). */
const linkedOnXdpchain = new Map<string, CaseResult[]>();
function linkedResults(c: Composition, engine: EngineName = 'interp'): CaseResult[] {
  const key = `${c.name}/${engine}`;
  let r = linkedOnXdpchain.get(key);
  if (!r) {
    const { scenario } = linked(c);
    r = scenario.packets.map((p) => runCaseOnXdpchain(scenario, p, { engine, possibleCpus: cpus }));
    linkedOnXdpchain.set(key, r);
  }
  return r;
}

/** Verdicts the kernel gave, by composition, for the final check. */
const kernelVerdicts = new Map<string, number[]>();
const retvals = (rs: CaseResult[]): number[] => [...new Set(rs.flatMap((r) => ('error' in r ? [] : [r.retval])))].sort();

describe.sequential('dispatcher compositions: runtime dispatcher, linked object on xdpchain, linked object on the kernel', () => {
  it('has compositions of 2, 3 and 10 components, 10 distinct programs in the largest', () => {
    expect(COMPOSITIONS).toHaveLength(5);
    const sizes = COMPOSITIONS.map((c) => c.parts.length);
    expect(sizes).toEqual(expect.arrayContaining([2, 3, 10]));
    const ten = COMPOSITIONS.find((c) => c.parts.length === 10)!;
    expect(new Set(ten.parts.map(programOf)).size).toBe(10);
  });

  describe.each(COMPOSITIONS)('$name', (c) => {
    it('both dispatchers put the components in the same order', () => {
      const l = linked(c);
      expect(l.order).toEqual(c.order);
      for (const mode of ['freplace', 'callx'] as const) {
        expect(runOnRuntimeDispatcher(c, l.scenario.setup ?? [], PACKETS[0], 'interp', mode).order, mode).toEqual(c.order);
      }
    });

    it('the runtime dispatcher and the linked object agree on xdpchain (every engine; freplace, and callx on interp)', () => {
      const { scenario } = linked(c);
      const problems: string[] = [];
      const reference = linkedResults(c, 'interp');
      for (const engine of engineNames) {
        const mine = engine === 'interp' ? reference : linkedResults(c, engine);
        scenario.packets.forEach((p, i) => {
          // The linked object on each engine against the reference engine, maps included.
          problems.push(...diffCaseResults(reference[i], mine[i]).map((d) => `${p.name}: linked on ${engine}: ${d}`));
          // callx on the reference engine only: compiling every component to wasm per packet is slow.
          for (const mode of engine === 'interp' ? (['freplace', 'callx'] as const) : (['freplace'] as const)) {
            const rd = runOnRuntimeDispatcher(c, scenario.setup ?? [], p, engine, mode).result;
            problems.push(
              ...diffCaseResults(onlyMapsOf(rd, reference[i]), rd).map(
                (d) => `${p.name}: runtime dispatcher (${engine}, ${mode}) vs linked: ${d} [${brief(rd)} / ${brief(reference[i])}]`,
              ),
            );
          }
        });
      }
      expect(problems).toEqual([]);
      const got = Object.fromEntries(
        Object.keys(c.expect).map((name) => {
          const r = reference[scenario.packets.findIndex((p) => p.name === name)];
          const want = c.expect[name];
          return [name, 'error' in r ? r : typeof want === 'number' ? r.retval : { retval: r.retval, bytes: r.dataOut.length / 2 }];
        }),
      );
      expect(got).toEqual(c.expect);
    }, 300_000);

    if (!kernel.available) {
      if (REQUIRE) {
        it('needs the kernel (XDPCHAIN_REQUIRE_KERNEL=1)', () => {
          throw new Error(`kernel test-run unavailable: ${kernel.reason}`);
        });
      } else {
        it.skip(`kernel side skipped, kernel unavailable: ${kernel.reason}`, () => {});
      }
      return;
    }

    it('the kernel runs the linked object with the same answers', async () => {
      const { scenario } = linked(c);
      const kernelCases = await runScenarioOnKernel(scenario);
      const reference = linkedResults(c, 'interp');
      const problems: string[] = [];
      let compared: string[] = [];
      scenario.packets.forEach((p, i) => {
        expect(kernelCases[i].packet).toBe(p.name);
        const [k, x, names] = commonMaps(kernelCases[i].result, reference[i]);
        if (names.length > 0) compared = names;
        problems.push(
          ...diffCaseResults(k, x).map(
            (d) => `${p.name}: linked on xdpchain vs kernel: ${d} [${brief(reference[i])} / kernel ${brief(kernelCases[i].result)}]`,
          ),
        );
        // And the runtime dispatcher directly against the kernel (verdict, frame, named maps).
        const rd = runOnRuntimeDispatcher(c, scenario.setup ?? [], p, 'interp', 'freplace').result;
        const [k2, r2] = commonMaps(kernelCases[i].result, rd);
        problems.push(
          ...diffCaseResults(k2, r2).map((d) => `${p.name}: runtime dispatcher vs kernel: ${d} [${brief(rd)} / kernel ${brief(kernelCases[i].result)}]`),
        );
      });
      expect(problems).toEqual([]);
      // The kernel dumped the components' named maps and they were compared.
      const named = [...new Set(c.parts.flatMap((part) => [...spec(part.object).maps.keys()].filter((n) => !n.startsWith('.'))))];
      expect(compared).toEqual(expect.arrayContaining(named));
      kernelVerdicts.set(c.name, retvals(kernelCases.map((k) => k.result)));
    }, 600_000);
  });

  it('the compositions take several ways out', () => {
    const mine = new Map(COMPOSITIONS.map((c) => [c.name, retvals(linkedResults(c))]));
    const all = new Set([...mine.values()].flat());
    console.log(
      `verdicts by composition (xdpchain): ${[...mine].map(([n, v]) => `${n} ${JSON.stringify(v)}`).join('; ')}; ` +
        `kernel: ${kernelVerdicts.size ? [...kernelVerdicts].map(([n, v]) => `${n} ${JSON.stringify(v)}`).join('; ') : 'not run'}; ` +
        `${COMPOSITIONS.length * PACKETS.length} (composition, packet) pairs`,
    );
    expect(all.size).toBeGreaterThanOrEqual(2);
    expect([...all].sort()).toEqual([ABORTED, DROP, PASS, TX]);
    for (const [name, v] of kernelVerdicts) expect(v, name).toEqual(mine.get(name));
  });
});
