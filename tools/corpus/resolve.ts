import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import {
  buildFrame,
  checkByteMasks,
  concat,
  fromHex,
  ipv4IcmpEchoFrame,
  ipv4TcpSynFrame,
  ipv4UdpFrame,
  ipv6IcmpEchoFrame,
  ipv6TcpFrame,
  ipv6UdpFrame,
  MalformedInputError,
  parseIpv4,
  parseIpv6,
  parseMac,
  standardPacketKind,
  toHex,
  type ByteMask,
  type FlowOptions,
} from '../../src/index.js';
import type { Bytes, BytesField, CorpusManifest, CorpusObject, FlowKind, MapSetup, PacketSpec } from './manifest.js';

/** The packets every program runs unless it says `standard: false`. */
export const STANDARD_PACKETS = ['ipv4-tcp', 'ipv4-udp', 'ipv4-icmp', 'ipv6-tcp', 'ipv6-udp', 'vlan-ipv4-udp'];

/** A packet with everything resolved to bytes (hex). */
export interface ResolvedPacket {
  name: string;
  hex: string;
  ctx?: { ingressIfindex?: number; rxQueueIndex?: number; dataMeta?: number };
  repeat?: number;
}

/** A map update resolved to hex. */
export type ResolvedSetup =
  | { map: string; key: string; values: string[] }
  | { map: string; key: string; program: string }
  | { map: string; fill: { first: number; count: number }; values: string[] };

/** One program of one object, ready to run on either side. */
export interface ResolvedRun {
  program: string;
  forceXdp: boolean;
  /** Programs loaded (the run program first). */
  load: string[];
  setup: ResolvedSetup[];
  packets: ResolvedPacket[];
}

/** One object of the corpus, resolved. */
export interface ResolvedObject {
  id: string;
  project: string;
  /** Absolute path of the object. */
  path: string;
  maxEntries: Record<string, number>;
  globals: { name: string; hex: string }[];
  ignoreMaps: string[];
  /** Keys (hex) not compared, by map. */
  ignoreKeys: Record<string, string[]>;
  /** Output bytes not compared, by packet name. */
  ignoreBytes: Record<string, ByteMask[]>;
  /** Programs the kernel is expected to refuse (negative tests), with the errno. */
  kernelRefuses: Record<string, string>;
  runs: ResolvedRun[];
}

const FLOWS: Record<FlowKind, (o: FlowOptions) => Uint8Array> = {
  'ipv4-udp': ipv4UdpFrame,
  'ipv4-tcp-syn': ipv4TcpSynFrame,
  'ipv4-icmp': ipv4IcmpEchoFrame,
  'ipv6-udp': ipv6UdpFrame,
  'ipv6-tcp': ipv6TcpFrame,
  'ipv6-icmp': ipv6IcmpEchoFrame,
};

function le(n: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = Number((BigInt.asUintN(size * 8, n) >> BigInt(8 * i)) & 0xffn);
  return out;
}

function fieldBytes(f: BytesField, where: string): Uint8Array {
  if ('hex' in f) return fromHex(f.hex);
  if ('u8' in f) return le(BigInt(f.u8), 1);
  if ('u16' in f) return le(BigInt(f.u16), 2);
  if ('u32' in f) return le(BigInt(f.u32), 4);
  if ('u64' in f) return le(BigInt(f.u64), 8);
  if ('be16' in f) return le(BigInt(f.be16), 2).reverse();
  if ('be32' in f) return le(BigInt(f.be32), 4).reverse();
  if ('ipv4' in f) return parseIpv4(f.ipv4);
  if ('ipv6' in f) return parseIpv6(f.ipv6);
  if ('mac' in f) return parseMac(f.mac);
  if ('zero' in f) return new Uint8Array(f.zero);
  throw new MalformedInputError('corpus manifest', `${where}: unknown bytes field ${JSON.stringify(f)}; use hex, u8..u64, be16, be32, ipv4, ipv6, mac or zero`);
}

/** Bytes of the manifest (hex, or typed fields concatenated) as hex. */
export function bytesHex(b: Bytes, where: string): string {
  if (typeof b === 'string') return toHex(fromHex(b));
  return toHex(concat(b.map((f) => fieldBytes(f, where))));
}

function resolvePacket(p: PacketSpec, where: string): ResolvedPacket {
  let name: string;
  let frame: Uint8Array;
  if ('hex' in p) [name, frame] = [p.name, fromHex(p.hex)];
  else if ('kind' in p) [name, frame] = [p.name ?? p.kind, standardPacketKind(p.kind).frame];
  else if ('flow' in p) {
    const build = FLOWS[p.flow];
    if (!build) throw new MalformedInputError('corpus manifest', `${where}: packet ${p.name}: unknown flow ${p.flow} (have: ${Object.keys(FLOWS).join(', ')})`);
    [name, frame] = [p.name, build(p.options ?? {})];
  } else [name, frame] = [p.name, buildFrame(p.layers, { padTo: p.padTo })];
  const out: ResolvedPacket = { name, hex: toHex(frame) };
  if (p.ctx) out.ctx = p.ctx;
  if (p.repeat !== undefined) out.repeat = p.repeat;
  return out;
}

function resolveSetup(s: MapSetup, where: string): ResolvedSetup {
  if ('fill' in s) return { map: s.map, fill: s.fill, values: s.values.map((v) => bytesHex(v, `${where} ${s.map} fill value`)) };
  const key = bytesHex(s.key, `${where} ${s.map} key`);
  if ('program' in s) return { map: s.map, key, program: s.program };
  const values = 'values' in s ? s.values : [s.value];
  return { map: s.map, key, values: values.map((v) => bytesHex(v, `${where} ${s.map} value`)) };
}

/** The id an object's golden file is named by. */
export function objectId(o: CorpusObject): string {
  return o.id ?? `${o.project}/${basename(o.object).replace(/\.o$/, '')}`;
}

/** Resolve one object of a manifest found in `baseDir`. */
export function resolveObject(o: CorpusObject, baseDir: string): ResolvedObject {
  const id = objectId(o);
  const objectPackets = (o.packets ?? []).map((p) => resolvePacket(p, id));
  const objectSetup = (o.setup ?? []).map((s) => resolveSetup(s, id));
  const runs = o.programs.map((p): ResolvedRun => {
    const where = `${id} ${p.name}`;
    const standard = p.standard === false ? [] : STANDARD_PACKETS.map((k) => resolvePacket({ kind: k }, where));
    const packets = [...standard, ...objectPackets, ...(p.packets ?? []).map((x) => resolvePacket(x, where))];
    const names = new Set<string>();
    for (const pk of packets) {
      if (names.has(pk.name)) throw new MalformedInputError('corpus manifest', `${where}: two packets are named ${pk.name}`);
      names.add(pk.name);
    }
    return {
      program: p.name,
      forceXdp: p.type === 'xdp',
      load: [p.name, ...(p.alsoLoad ?? [])],
      setup: [...objectSetup, ...(p.setup ?? []).map((s) => resolveSetup(s, where))],
      packets,
    };
  });
  const ignoreBytes = o.ignoreBytes ?? {};
  for (const [packet, masks] of Object.entries(ignoreBytes)) {
    if (!runs.some((r) => r.packets.some((p) => p.name === packet)))
      throw new MalformedInputError('corpus manifest', `${id}: ignoreBytes names packet ${packet}, which no program of the object runs`);
    checkByteMasks(masks, `corpus manifest ${id} ignoreBytes ${packet}`);
  }
  return {
    id,
    project: o.project,
    path: resolve(baseDir, o.object),
    maxEntries: o.maxEntries ?? {},
    globals: Object.entries(o.globals ?? {}).map(([name, b]) => ({ name, hex: bytesHex(b, `${id} global ${name}`) })),
    ignoreMaps: o.ignoreMaps ?? [],
    ignoreKeys: Object.fromEntries(Object.entries(o.ignoreKeys ?? {}).map(([m, keys]) => [m, keys.map((k) => bytesHex(k, `${id} ignoreKeys ${m}`))])),
    ignoreBytes,
    kernelRefuses: Object.fromEntries(o.programs.filter((p) => p.kernelRefuses).map((p) => [p.name, p.kernelRefuses!])),
    runs,
  };
}

/** Read a manifest file and resolve every object in it. */
export function readManifest(path: string): { baseDir: string; requires?: string; objects: ResolvedObject[] } {
  let manifest: CorpusManifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as CorpusManifest;
  } catch (e) {
    throw new MalformedInputError('corpus manifest', `manifest ${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(manifest.objects)) throw new MalformedInputError('corpus manifest', `manifest ${path}: needs an "objects" array`);
  const baseDir = dirname(resolve(path));
  const objects = manifest.objects.map((o) => resolveObject(o, baseDir));
  const ids = new Set<string>();
  for (const o of objects) {
    if (ids.has(o.id)) throw new MalformedInputError('corpus manifest', `manifest ${path}: two objects have the id ${o.id}; give one an "id"`);
    ids.add(o.id);
  }
  return { baseDir, requires: manifest.requires, objects };
}
