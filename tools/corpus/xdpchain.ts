import { readFileSync } from 'node:fs';
import {
  fromHex,
  MalformedInputError,
  ProgArrayMap,
  readCollectionSpec,
  roundUp8,
  Runtime,
  seededRandom,
  steppingClock,
  toHex,
  u32Key,
  XdpchainError,
  type BpfMap,
  type CollectionSpec,
  type EngineName,
  type MapSpec,
  type MapTypeName,
  type Program,
} from '../../src/index.js';
import type { CaseResult, LoadResult, MapDump, ProgramGolden } from './golden.js';
import type { ResolvedObject, ResolvedRun } from './resolve.js';

/** Map types the oracle dumps (xdp-oracle.c `undumpable`); the others are not compared. */
const DUMPED_TYPES = new Set<MapTypeName>([
  'hash',
  'array',
  'percpu_hash',
  'percpu_array',
  'lru_hash',
  'lru_percpu_hash',
  'lpm_trie',
  'devmap',
  'devmap_hash',
  'cpumap',
]);
const PER_CPU = new Set<MapTypeName>(['percpu_hash', 'percpu_array', 'lru_percpu_hash']);

/**
 * The manifest's load options, applied by editing the spec before load: map sizes
 * (MapSpec.maxEntries), globals (bytes written into MapSpec.initialData of the global-data map at
 * the variable's BTF datasec offset, a prefix or `name+offset` allowed, unlike LoadEdits' whole
 * values) and the XDP type override (ProgramSpec.type).
 */
export const SPEC_EDITS = [
  'maxEntries -> MapSpec.maxEntries',
  'globals -> MapSpec.initialData at the BTF datasec offset',
  "type: 'xdp' -> ProgramSpec.type/attachType",
];

/** The object's spec with the manifest's sizes, globals and type overrides applied. */
export function configuredSpec(base: CollectionSpec, o: ResolvedObject, run: ResolvedRun): CollectionSpec {
  const maps = new Map<string, MapSpec>();
  for (const [name, m] of base.maps) maps.set(name, { ...m });
  for (const [name, n] of Object.entries(o.maxEntries)) {
    const m = maps.get(name);
    if (!m)
      throw new MalformedInputError(
        'corpus manifest',
        `${o.id}: maxEntries names map ${name}, which the object does not have (has: ${[...maps.keys()].join(', ')})`,
      );
    m.maxEntries = n;
  }
  for (const g of o.globals) setGlobal(base, maps, g.name, fromHex(g.hex), o.id);
  const programs = new Map(base.programs);
  if (run.forceXdp) {
    for (const name of run.load) {
      const p = programs.get(name);
      if (p) programs.set(name, { ...p, type: 'xdp', attachType: 'xdp' });
    }
  }
  return { ...base, maps, programs };
}

function setGlobal(spec: CollectionSpec, maps: Map<string, MapSpec>, spelled: string, bytes: Uint8Array, where: string): void {
  const [name, extraText] = spelled.split('+');
  const extra = extraText ? Number(extraText) : 0;
  for (const t of spec.btf?.types ?? []) {
    if (t?.kind !== 'datasec') continue;
    for (const v of t.vars) {
      const variable = spec.btf!.types[v.type];
      if (variable?.kind !== 'var' || variable.name !== name) continue;
      const m = maps.get(t.name);
      if (!m?.initialData) throw new MalformedInputError('corpus manifest', `${where}: global ${name} is in ${t.name}, which has no map with initial data`);
      if (extra + bytes.length > v.size)
        throw new MalformedInputError('corpus manifest', `${where}: global ${name} is ${v.size} bytes; ${bytes.length} bytes at +${extra} do not fit`);
      const data = new Uint8Array(m.initialData);
      data.set(bytes, v.offset + extra);
      m.initialData = data;
      return;
    }
  }
  throw new MalformedInputError('corpus manifest', `${where}: no global variable ${name} in the object's BTF`);
}

/** A map's contents as the oracle dumps them: sorted by key; zero array slots left out. */
export function dumpMap(m: BpfMap, cpus: number): MapDump {
  const out: MapDump = [];
  const array = m.spec.type === 'array' || m.spec.type === 'percpu_array';
  const perCpu = PER_CPU.has(m.spec.type);
  const seen = new Set<string>();
  for (let key = m.nextKey(); key !== undefined; key = m.nextKey(key)) {
    const hex = toHex(key);
    if (seen.has(hex)) break;
    seen.add(hex);
    const v = m.lookup(key);
    if (!v || (array && v.every((b) => b === 0))) continue;
    if (perCpu) {
      const stride = roundUp8(m.spec.valueSize);
      out.push({ key: hex, values: Array.from({ length: cpus }, (_, c) => toHex(v.subarray(c * stride, c * stride + m.spec.valueSize))) });
    } else out.push({ key: hex, value: toHex(v) });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function perCpuValue(values: string[], valueSize: number, cpus: number): Uint8Array {
  const stride = roundUp8(valueSize);
  const out = new Uint8Array(stride * cpus);
  for (let c = 0; c < cpus; c++) out.set(fromHex(values[Math.min(c, values.length - 1)]).subarray(0, valueSize), c * stride);
  return out;
}

/** The first line of an error, for grouping failures. */
function loadFailure(e: unknown): LoadResult {
  if (e instanceof XdpchainError) return { loadError: e.errno, message: e.message };
  return { loadError: 'internal', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

/** Run one program of an object on xdpchain, each packet on a fresh runtime, as the oracle does. */
export function runOnXdpchain(o: ResolvedObject, run: ResolvedRun, engine: EngineName, possibleCpus: number, maxDataBytes?: number): ProgramGolden {
  let spec: CollectionSpec;
  try {
    spec = configuredSpec(readCollectionSpec(new Uint8Array(readFileSync(o.path)), { source: o.path }), o, run);
  } catch (e) {
    if (e instanceof MalformedInputError && e.structure === 'corpus manifest') throw e;
    return { load: loadFailure(e), cases: [] };
  }
  const ignored = new Set(o.ignoreMaps);
  const cases: ProgramGolden['cases'] = [];
  for (const p of run.packets) {
    const rt = new Runtime({ engine, possibleCpus, cpu: 0, clock: steppingClock(), random: seededRandom(7), maxDataBytes });
    let coll;
    try {
      coll = rt.loadCollection(spec, { programs: run.load });
    } catch (e) {
      const failure = loadFailure(e);
      if (cases.length === 0) return { load: failure, cases: [] };
      cases.push({ packet: p.name, result: failure as CaseResult });
      continue;
    }
    for (const s of run.setup) applySetup(coll.map(s.map), s, (name) => coll.program(name), possibleCpus);
    cases.push({ packet: p.name, result: runPacket(rt, coll.program(run.program), coll.maps, p, ignored, possibleCpus) });
  }
  return { load: { ok: true }, cases };
}

/** One map update of the scenario, as the oracle applies it. */
function applySetup(m: BpfMap, s: ResolvedRun['setup'][number], program: (name: string) => Program, cpus: number): void {
  const value = (hex: string) => (PER_CPU.has(m.spec.type) ? perCpuValue([hex], m.spec.valueSize, cpus) : fromHex(hex));
  if ('fill' in s) {
    const values = s.values.map(value);
    for (let k = 0; k < s.fill.count; k++) m.update(u32Key(s.fill.first + k), values[k % values.length]);
    return;
  }
  const key = fromHex(s.key);
  if ('program' in s) (m as ProgArrayMap).set(new DataView(key.buffer).getUint32(0, true), program(s.program));
  else m.update(key, PER_CPU.has(m.spec.type) ? perCpuValue(s.values, m.spec.valueSize, cpus) : fromHex(s.values[0]));
}

function runPacket(
  rt: Runtime,
  prog: Program,
  maps: ReadonlyMap<string, BpfMap>,
  p: ResolvedRun['packets'][number],
  ignored: Set<string>,
  cpus: number,
): CaseResult {
  let out;
  try {
    const ctx = p.ctx ? { data: p.ctx.dataMeta ?? 0, ingressIfindex: p.ctx.ingressIfindex ?? 0, rxQueueIndex: p.ctx.rxQueueIndex ?? 0 } : undefined;
    out = rt.testRun(prog, { data: fromHex(p.hex), ctx, repeat: p.repeat });
  } catch (e) {
    if (e instanceof XdpchainError) return { error: e.errno };
    return { fault: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
  if (out.fault) return { fault: out.fault.message };
  const dumps: Record<string, MapDump> = {};
  for (const [name, m] of maps) {
    if (!DUMPED_TYPES.has(m.spec.type) || ignored.has(name) || m instanceof ProgArrayMap) continue;
    dumps[name] = dumpMap(m, cpus);
  }
  const result: CaseResult = { retval: out.retval, dataOut: toHex(out.dataOut), maps: dumps };
  if (p.ctx && out.ctxOut) result.ctxOut = { dataMeta: out.ctxOut.data, ingressIfindex: out.ctxOut.ingressIfindex, rxQueueIndex: out.ctxOut.rxQueueIndex };
  return result;
}
