import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../../src/btf/parse.js';
import { readCollectionSpec } from '../../src/elf/collection.js';
import { seededRandom, steppingClock } from '../../src/helpers/services.js';
import { kfuncMismatch } from '../../src/helpers/kfunc.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { VMLINUX_BTF_PATH as HOST_KERNEL_BTF } from '../../src/btf/bundled.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { EngineName } from '../../src/vm/engine.js';
import { engines } from '../vm/engines.js';

const object = (path: string) => readCollectionSpec(new Uint8Array(readFileSync(new URL(`../../${path}`, import.meta.url))), { source: path });
const misuse = object('test/fixtures/load/build/conntrack_misuse.o');
const kfuncs = object('progs/build/conntrack.o');

function runtime(engine: string): Runtime {
  return new Runtime({ engine: engine as EngineName, clock: steppingClock(), random: seededRandom(7), possibleCpus: 2, maxDataBytes: 16 << 20 });
}

function run(rt: Runtime, spec: typeof misuse, program: string) {
  const coll = rt.loadCollection(spec, { programs: [program] });
  return rt.testRun(coll.program(program), { data: ipv4UdpFrame() });
}

describe.each(engines)('conntrack kfuncs at run time ($name)', ({ name }) => {
  it.each([
    ['xdp_ct_release_twice', /bpf_ct_release: argument 1 \(0x[0-9a-f]+\) is not a conntrack entry the program holds/],
    ['xdp_ct_set_timeout_inserted', /bpf_ct_set_timeout takes an entry from bpf_xdp_ct_alloc \(struct nf_conn___init\), but entry 1 is in the table/],
    ['xdp_ct_release_allocated', /bpf_ct_release takes a struct nf_conn .* but entry 1 is from bpf_xdp_ct_alloc/],
    ['xdp_ct_release_stack', /bpf_ct_release: argument 1 \(0x[0-9a-f]+\) is not a conntrack entry the program holds/],
  ])('%s, which the verifier refuses, ends as a fault naming the kfunc', (program, message) => {
    const out = run(runtime(name), misuse, program);
    expect(out.retval).toBe(0);
    expect(out.fault?.message).toMatch(message);
  });

  it('a program writing a field other than mark does not change what the table knows', () => {
    const rt = runtime(name);
    expect(run(rt, misuse, 'xdp_ct_write_status').retval).toBe(2);
    expect(rt.conntrack.entries().map((e) => e.status)).toEqual([0xa]);
  });

  it('references balance after every conntrack.o program, and a leak shows as a held reference', () => {
    for (const [program, acquired] of [
      ['xdp_ct_errors', 10],
      ['xdp_ct_lifecycle', 6],
      ['xdp_ct_nat', 10],
      ['xdp_ct_zones', 11],
    ] as const) {
      const rt = runtime(name);
      expect(run(rt, kfuncs, program).retval).toBe(2);
      expect([program, rt.conntrack.references]).toEqual([program, { acquired, released: acquired }]);
      expect(rt.conntrack.held).toBe(0);
    }
    const rt = runtime(name);
    expect(run(rt, misuse, 'xdp_ct_leak').retval).toBe(2);
    expect(rt.conntrack.held).toBe(1);
    expect(rt.conntrack.entries()[0].use).toBe(2);
  });
});

describe('conntrack kfuncs at load', () => {
  it('memory for entries is set aside when a program calling a conntrack kfunc loads, not before', () => {
    const rt = new Runtime({ conntrack: { max: 8 } });
    rt.loadCollection(object('progs/build/xdp_pass.o'));
    expect(rt.conntrack.hasMemory).toBe(false);
    rt.loadCollection(kfuncs, { programs: ['xdp_ct_zones'] });
    expect(rt.conntrack.hasMemory).toBe(true);
  });

  it.skipIf(!existsSync(HOST_KERNEL_BTF))(`every conntrack kfunc has the running kernel's prototype (${HOST_KERNEL_BTF})`, () => {
    const btf = parseBtf(new Uint8Array(readFileSync(HOST_KERNEL_BTF)));
    const rt = new Runtime();
    const names = rt.kfuncs.names().filter((n) => n.startsWith('bpf_ct_') || n.startsWith('bpf_xdp_ct_'));
    expect(names).toHaveLength(9);
    expect(names.map((n) => [n, kfuncMismatch(btf, n, rt.kfuncs.get(n)!.prototype) ?? 'matches'])).toEqual(names.map((n) => [n, 'matches']));
  });
});
