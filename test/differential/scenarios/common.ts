/** Building blocks for scenarios: standard packet cases and little-endian / network-order encoders. */
import { parseIpv4, parseIpv6, parseMac, standardPacketKinds, toHex } from '../../../src/packet/index.js';
import type { PacketCase } from '../scenario.js';

export type Ctx = NonNullable<PacketCase['ctx']>;

/** A packet case from a frame. */
export function frameCase(name: string, frame: Uint8Array, extra: Omit<PacketCase, 'name' | 'data'> = {}): PacketCase {
  return { name, data: toHex(frame), ...extra };
}

/**
 * A case whose buffer starts with `metaLength` bytes of metadata (0xa0, 0xa1, …) followed by the
 * frame, as BPF_PROG_TEST_RUN takes it when ctx_in's `data` is the metadata length.
 */
export function metaCase(name: string, metaLength: number, frame: Uint8Array, ctx: Ctx = {}): PacketCase {
  const meta = Uint8Array.from({ length: metaLength }, (_, i) => 0xa0 + i);
  return frameCase(name, Uint8Array.from([...meta, ...frame]), { ctx: { ...ctx, dataMeta: metaLength } });
}

/** Every standard packet kind (src/packet/kinds.ts), optionally with the same ctx for all. */
export function standardCases(ctx?: Ctx): PacketCase[] {
  return standardPacketKinds().map((k) => frameCase(k.name, k.frame, ctx ? { ctx } : {}));
}

/** Some standard kinds by name, in the order given. */
export function someStandardCases(names: readonly string[], ctx?: Ctx): PacketCase[] {
  const all = new Map(standardPacketKinds().map((k) => [k.name, k]));
  return names.map((n) => {
    const k = all.get(n);
    if (!k) throw new Error(`no standard packet kind ${n}`);
    return frameCase(n, k.frame, ctx ? { ctx } : {});
  });
}

function le(value: number | bigint, bytes: number): string {
  let v = BigInt.asUintN(bytes * 8, BigInt(value));
  let out = '';
  for (let i = 0; i < bytes; i++) {
    out += Number(v & 0xffn)
      .toString(16)
      .padStart(2, '0');
    v >>= 8n;
  }
  return out;
}

export const u8 = (v: number) => le(v, 1);
export const u16le = (v: number) => le(v, 2);
export const u32le = (v: number) => le(v, 4);
export const u64le = (v: number | bigint) => le(v, 8);
/** Network byte order. */
export const be16 = (v: number) => (v & 0xffff).toString(16).padStart(4, '0');
export const ipv4 = (a: string) => toHex(parseIpv4(a));
export const ipv6 = (a: string) => toHex(parseIpv6(a));
export const mac = (m: string) => toHex(parseMac(m));
export const zeros = (n: number) => '00'.repeat(n);
