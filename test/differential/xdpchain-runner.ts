import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCollectionSpec } from '../../src/elf/index.js';
import { seededRandom, steppingClock } from '../../src/helpers/services.js';
import type { BpfMap } from '../../src/maps/map.js';
import { ProgArrayMap } from '../../src/maps/prog-array.js';
import { fromHex, parseMac, toHex } from '../../src/packet/bytes.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { CollectionSpec } from '../../src/object-spec/collection-spec.js';
import type { EngineName } from '../../src/vm/engine.js';
import { XdpchainError } from '../../src/errors/index.js';
import { conntrackListing, repoRoot, UNDUMPABLE_MAP_TYPES } from './kernel-oracle.js';
import { conntrackLine } from '../../src/conntrack/format.js';
import { addRequestFromText } from '../../src/conntrack/request.js';
import type { CaseResult, MapDump, NetnsSetup, PacketCase, Scenario } from './scenario.js';

const specCache = new Map<string, CollectionSpec>();
function specOf(object: string): CollectionSpec {
  let s = specCache.get(object);
  if (!s) {
    s = readCollectionSpec(new Uint8Array(readFileSync(join(repoRoot(), object))), { source: object });
    specCache.set(object, s);
  }
  return s;
}

/** Build the scenario's network namespace on the runtime's fabric. */
function applyNetns(rt: Runtime, n: NetnsSetup | undefined): void {
  if (!n) return;
  for (const l of n.links) {
    const dev = rt.fabric.add(l.name, { peer: l.peer, ifindex: l.ifindex, peerIfindex: l.peerIfindex });
    if (l.mac) dev.mac = parseMac(l.mac);
    if (l.peer && l.peerMac) rt.fabric.get(l.peer).mac = parseMac(l.peerMac);
    for (const a of l.addresses) rt.fabric.routing.addAddress(dev.ifindex, a);
  }
  const ifindexOf = (name: string) => rt.fabric.get(name).ifindex;
  for (const r of n.routes) rt.fabric.routing.addRoute(r, ifindexOf);
  for (const nb of n.neighbours) rt.fabric.routing.addNeighbour(ifindexOf(nb.dev), nb.address, nb.mac);
  for (const [k, v] of Object.entries(n.sysctls ?? {})) rt.fabric.routing.applySysctl(k, v, ifindexOf);
  for (const e of n.conntrack ?? []) rt.conntrack.add(addRequestFromText(e));
}

/** Every dumpable map, as the kernel oracle dumps it: sorted by key, empty slots left out. */
export function dumpMap(m: BpfMap, cpus: number): MapDump {
  const out: MapDump = [];
  const seen = new Set<string>();
  for (let key = m.nextKey(); key !== undefined; key = m.nextKey(key)) {
    const hex = toHex(key);
    if (seen.has(hex)) break;
    seen.add(hex);
    const v = m.lookup(key);
    if (!v) continue;
    const perCpu = m.spec.type.startsWith('percpu') || m.spec.type === 'lru_percpu_hash';
    if (perCpu) {
      const stride = (m.spec.valueSize + 7) & ~7;
      out.push({ key: hex, values: Array.from({ length: cpus }, (_, c) => toHex(v.subarray(c * stride, c * stride + m.spec.valueSize))) });
    } else out.push({ key: hex, value: toHex(v) });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export interface XdpchainRunOptions {
  engine: EngineName;
  possibleCpus: number;
}

/** One packet of a scenario on a fresh runtime: the xdpchain side of the differential test. */
export function runCaseOnXdpchain(s: Scenario, p: PacketCase, opts: XdpchainRunOptions): CaseResult {
  const rt = new Runtime({ engine: opts.engine, possibleCpus: opts.possibleCpus, cpu: 0, clock: steppingClock(), random: seededRandom(7) });
  applyNetns(rt, s.netns);
  const coll = rt.loadCollection(specOf(s.object));
  for (const u of s.setup ?? []) {
    const m = coll.map(u.map);
    const key = fromHex(u.key);
    if ('program' in u) (m as ProgArrayMap).set(new DataView(key.buffer).getUint32(0, true), coll.program(u.program));
    else if ('values' in u) m.update(key, concatPerCpu(u.values, m.spec.valueSize, opts.possibleCpus));
    else m.update(key, fromHex(u.value));
  }
  const prog = coll.program(s.program);
  const data = fromHex(p.data);
  let out;
  try {
    const ctx = p.ctx ? { data: p.ctx.dataMeta ?? 0, ingressIfindex: p.ctx.ingressIfindex ?? 0, rxQueueIndex: p.ctx.rxQueueIndex ?? 0 } : undefined;
    out = rt.testRun(prog, { data, ctx, repeat: p.repeat });
  } catch (e) {
    if (e instanceof XdpchainError) return { error: e.errno };
    throw e;
  }
  if (out.fault) throw out.fault;
  const ignored = new Set(s.ignoreMaps ?? []);
  const maps: Record<string, MapDump> = {};
  for (const [name, m] of coll.maps) {
    if (UNDUMPABLE_MAP_TYPES.has(m.spec.type) || ignored.has(name) || m instanceof ProgArrayMap) continue;
    maps[name] = dumpMap(m, opts.possibleCpus);
  }
  const result: CaseResult = { retval: out.retval, dataOut: toHex(out.dataOut), maps };
  if (s.recordConntrack) result.conntrack = conntrackListing(rt.conntrack.entries().map((e) => conntrackLine(rt.conntrack, e)));
  if (p.ctx && out.ctxOut) result.ctxOut = { dataMeta: out.ctxOut.data, ingressIfindex: out.ctxOut.ingressIfindex, rxQueueIndex: out.ctxOut.rxQueueIndex };
  return result;
}

function concatPerCpu(values: string[], valueSize: number, cpus: number): Uint8Array {
  const stride = (valueSize + 7) & ~7;
  const out = new Uint8Array(stride * cpus);
  for (let c = 0; c < cpus; c++) out.set(fromHex(values[c] ?? values[0]), c * stride);
  return out;
}
