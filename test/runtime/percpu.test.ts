/** Per-CPU arrays follow the runtime's current CPU, also where an engine looks them up inline. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { engines } from '../vm/engines.js';

const CLASS_IPV4_UDP = 3;
const spec = () =>
  readCollectionSpec(new Uint8Array(readFileSync(new URL('../../progs/build/proto_counters.o', import.meta.url))), { source: 'proto_counters.o' });

describe.each(engines)('per-CPU array lookups on $name', ({ name }) => {
  it('count on the CPU the runtime says programs run on, including after it changes', () => {
    const rt = new Runtime({ engine: name as 'wasm', possibleCpus: 3, cpu: 0 });
    const coll = rt.loadCollection(spec());
    const prog = coll.program('xdp_proto_counters');
    const frame = ipv4UdpFrame();
    rt.testRun(prog, { data: frame });
    rt.cpu = 2;
    rt.testRun(prog, { data: frame, repeat: 2 });
    const value = coll.map('proto_stats').lookup(new Uint8Array(new Uint32Array([CLASS_IPV4_UDP]).buffer))!;
    const dv = new DataView(value.buffer, value.byteOffset);
    const stride = value.length / 3;
    // struct traffic { __u64 packets; __u64 bytes; } per CPU
    expect([0, 1, 2].map((cpu) => dv.getBigUint64(cpu * stride, true))).toEqual([1n, 0n, 2n]);
    expect([0, 1, 2].map((cpu) => dv.getBigUint64(cpu * stride + 8, true))).toEqual([BigInt(frame.length), 0n, BigInt(2 * frame.length)]);
  });
});
