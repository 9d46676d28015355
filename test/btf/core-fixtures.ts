/** The CO-RE test objects (test/fixtures/core) and how to run them and read their answers. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Btf } from '../../src/btf/types.js';
import { readCollectionSpec } from '../../src/elf/collection.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { CollectionSpec } from '../../src/object-spec/collection-spec.js';
import type { EngineName } from '../../src/vm/engine.js';

export const CORE_FIXTURES = new URL('../fixtures/core/build/', import.meta.url).pathname;

/** Slots of results[0].v, in core_layout.c's order (enum R_*). */
export const R = [
  'h_proto',
  'h_dest5',
  'h_source0',
  'ttl',
  'protocol',
  'saddr',
  'daddr',
  'ihl',
  'version',
  'tot_len',
  'local_only_exists',
  'ttl_exists',
  'nf_conn_exists',
  'no_such_exists',
  'iphdr_size',
  'pass_value',
  'teleport_exists',
  'redirect_exists',
  'ifindex_signed',
  'ttl_signed',
  'ihl_lshift',
  'ihl_rshift',
  'version_lshift',
  'version_rshift',
  'ethhdr_target_id',
  'ethhdr_local_id',
  'tot_len_size',
  'saddr_offset',
  'ingress_ifindex',
  'rx_queue',
  'matching_exists',
  'different_exists',
  'pkt_len',
] as const;
export type Answers = Record<(typeof R)[number], number>;

/** The packet every case runs: Ethernet, IPv4 (ttl 64, UDP) from 10.0.0.1 to 10.0.0.2. */
export const CORE_PACKET = ipv4UdpFrame({ ttl: 61 });

export function coreSpec(file: string): CollectionSpec {
  return readCollectionSpec(new Uint8Array(readFileSync(join(CORE_FIXTURES, file))), { source: file });
}

/** results[0] as named numbers, from the map's value bytes. */
export function answersOf(value: Uint8Array): Answers {
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return Object.fromEntries(R.map((name, i) => [name, Number(dv.getBigUint64(i * 8, true))])) as Answers;
}

/** Load a spec on a runtime with `btf` as the kernel's, run CORE_PACKET, return the verdict and answers. */
export function runCore(spec: CollectionSpec, engine: EngineName, btf: Btf): { retval: number; fault?: string; answers: Answers } {
  const rt = new Runtime({ engine, statsTiming: false, possibleCpus: 2 });
  const coll = rt.loadCollection(spec, { kernelBtf: btf });
  const out = rt.testRun(coll.program('core_layout'), { data: CORE_PACKET });
  const value = coll.map('results').lookup(new Uint8Array(4));
  return { retval: out.retval, ...(out.fault ? { fault: out.fault.message } : {}), answers: answersOf(value!) };
}
