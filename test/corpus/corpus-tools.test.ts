/**
 * The corpus tooling (tools/corpus, tools/oracle): manifest resolution, error grouping and
 * comparison on their own, and — with a kernel — the libbpf oracle and the runner end to end on
 * two of our own objects, configured through every manifest feature (sizes, globals, map setup,
 * a filled ring, typed bytes). Both engines must give the kernel's answers.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareProgram, diffCase } from '../../tools/corpus/compare.js';
import { embeddedBpfObjects } from '../../tools/corpus/embedded.js';
import { errorGroup, errorHeadline, type CaseResult } from '../../tools/corpus/golden.js';
import { buildOracle, oracleJob, recordObject } from '../../tools/corpus/kernel.js';
import type { CorpusManifest } from '../../tools/corpus/manifest.js';
import { bytesHex, readManifest } from '../../tools/corpus/resolve.js';
import { runOnXdpchain } from '../../tools/corpus/xdpchain.js';
import { kernelAvailability, repoRoot } from '../differential/kernel-oracle.js';
import { engines } from '../vm/engines.js';
import type { EngineName } from '../../src/vm/engine.js';

const REQUIRE = process.env.XDPCHAIN_REQUIRE_KERNEL === '1';

describe('manifest values', () => {
  it('typed fields are concatenated in order, numbers little-endian unless be', () => {
    expect(bytesHex([{ ipv4: '10.0.0.2' }, { be16: 80 }, { u8: 6 }, { zero: 1 }, { u32: 0x01020304 }, { u64: '1' }], 't')).toBe(
      '0a0000020050060004030201' + '0100000000000000',
    );
    expect(bytesHex([{ mac: '02:00:00:00:00:aa' }, { ipv6: 'fd00::2' }], 't')).toBe('0200000000aa' + 'fd000000000000000000000000000002');
    expect(bytesHex('0A0b', 't')).toBe('0a0b');
  });

  it('an unknown field is a malformed manifest', () => {
    expect(() => bytesHex([{ u24: 1 } as never], 'obj x')).toThrow(/obj x: unknown bytes field/);
  });
});

describe('error headlines and groups', () => {
  it('takes the verifier line before "processed N insns"', () => {
    const log = [
      'libbpf: prog p: BPF program load failed: Permission denied',
      '0: (61) r2 = *(u32 *)(r1 +0)',
      'invalid access to packet, off=12 size=1',
      'processed 8 insns (limit 1000000)',
      'libbpf: prog p: failed to load: -13',
    ].join('\n');
    expect(errorHeadline(log)).toBe('invalid access to packet, off=12 size=1');
  });

  it('without a verifier log, takes libbpf’s last specific line', () => {
    const log = [
      "libbpf: loading object 'x' from buffer",
      "libbpf: extern (func ksym) 'bpf_xdp_flow_lookup': not found in kernel or module BTFs",
      "libbpf: failed to load object 'x.o'",
    ].join('\n');
    expect(errorHeadline(log)).toBe("extern (func ksym) 'bpf_xdp_flow_lookup': not found in kernel or module BTFs");
  });

  it('groups one cause across programs, instructions and sizes', () => {
    const a = errorGroup('EINVAL', 'program a, instruction 132: calls kernel function bpf_x (kfunc), which xdpchain does not provide');
    const b = errorGroup('EINVAL', 'program b, instruction 7: calls kernel function bpf_x (kfunc), which xdpchain does not provide');
    expect(a).toBe(b);
    expect(errorGroup('EINVAL', 'map rx_cnt (array): max_entries must be positive, not 0')).toBe(
      errorGroup('EINVAL', 'map cpu_map (array): max_entries must be positive, not 0'),
    );
  });
});

describe('comparison', () => {
  const base: CaseResult = { retval: 2, dataOut: '00112233', maps: { m: [{ key: '00000000', value: '01000000' }] } };
  it('equal results have no differences; each kind of difference is named', () => {
    expect(diffCase(base, structuredClone(base), { maps: new Set() })).toEqual([]);
    const other: CaseResult = {
      retval: 1,
      dataOut: '00112244',
      maps: {
        m: [
          { key: '00000000', value: '02000000' },
          { key: '01000000', value: '01000000' },
        ],
      },
    };
    const diff = diffCase(base, other, { maps: new Set() });
    expect(diff[0]).toBe('retval: kernel 2, xdpchain 1');
    expect(diff[1]).toMatch(/^data_out: 4 vs 4 bytes, first difference at byte 3/);
    expect(diff.slice(2)).toEqual(['map m[00000000]: kernel 01000000, xdpchain 02000000', 'map m[01000000]: kernel (absent), xdpchain 01000000']);
    expect(diffCase(base, other, { maps: new Set(['m']) }).length).toBe(2);
    expect(diffCase(base, other, { maps: new Set(), keys: { m: ['00000000'] } }).slice(2)).toEqual(['map m[01000000]: kernel (absent), xdpchain 01000000']);
  });

  it('a program the kernel loads and xdpchain does not is never-loaded, with the first line', () => {
    const golden = {
      id: 'o',
      object: 'o.o',
      objectSha256: '',
      kernel: '',
      libbpf: '',
      possibleCpus: 2,
      recorded: '',
      programs: { p: { load: { ok: true as const }, cases: [] } },
    };
    const v = compareProgram(golden, 'proj', 'o', 'p', () => ({ load: { loadError: 'EINVAL', message: 'map x: bad\nmore' }, cases: [] }), { maps: new Set() });
    expect(v).toMatchObject({ status: 'never-loaded', errno: 'EINVAL', error: 'map x: bad' });
  });
});

const kernel = await kernelAvailability();

describe('oracle and runner on the kernel', () => {
  if (!kernel.available) {
    if (REQUIRE) it('needs the kernel (XDPCHAIN_REQUIRE_KERNEL=1)', () => expect.fail(`kernel unavailable: ${kernel.reason}`));
    else it.skip(`skipped, kernel unavailable: ${kernel.reason}`, () => {});
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'corpus-test-'));
  const manifest: CorpusManifest = {
    objects: [
      {
        project: 'self',
        object: join(repoRoot(), 'progs/build/firewall.o'),
        programs: [{ name: 'xdp_firewall', packets: [{ name: 'udp-23', flow: 'ipv4-udp', options: { dstPort: 23 } }] }],
        setup: [{ map: 'deny_port', key: [{ u8: 17 }, { u8: 0 }, { be16: 23 }], value: [{ u32: 1 }] }],
        globals: { default_action: [{ u32: 1 }] },
        maxEntries: { deny_src: 7 },
      },
      {
        project: 'self',
        object: join(repoRoot(), 'progs/build/load_balancer.o'),
        programs: [
          { name: 'xdp_load_balancer', standard: false, packets: [{ name: 'to-vip', flow: 'ipv4-tcp-syn', options: { dst: '10.0.0.100', dstPort: 80 } }] },
        ],
        globals: { outer_ttl: [{ u8: 9 }], 'lb_source_addr+3': [{ u8: 0x77 }] },
        setup: [
          { map: 'vips', key: [{ ipv4: '10.0.0.100' }, { be16: 80 }, { u8: 6 }, { u8: 0 }], value: [{ u32: 2 }, { u32: 2 }] },
          {
            map: 'backends',
            fill: { first: 2, count: 2 },
            values: [
              [{ ipv4: '10.1.0.1' }, { mac: '02:00:00:00:01:01' }, { u16: 0 }],
              [{ ipv4: '10.1.0.2' }, { mac: '02:00:00:00:01:02' }, { u16: 0 }],
            ],
          },
        ],
      },
    ],
  };
  const path = join(dir, 'manifest.json');
  writeFileSync(path, JSON.stringify(manifest));
  const { objects } = readManifest(path);

  it('the job names every directive the oracle reads', () => {
    const job = oracleJob(objects[1], objects[1].runs[0]);
    expect(job).toMatch(/^object .*load_balancer\.o\nrun xdp_load_balancer\n/);
    expect(job).toContain('global lb_source_addr+3 77\n');
    expect(job).toContain('fill backends 2 2 0a0100010200000001010000 0a0100020200000001020000\n');
  });

  const oracle = buildOracle();
  const goldens = objects.map((o) => recordObject(oracle, o, () => {}));

  it('the kernel applied the configuration (globals, sizes, setup)', () => {
    const fw = goldens[0].programs.xdp_firewall;
    expect(fw.load).toEqual({ ok: true });
    // default_action = XDP_DROP (the global) for the IPv4 frames no rule passes, the denied port
    // too; the firewall only judges IPv4, so the IPv6 frames (4th, 5th) pass.
    expect(fw.cases.map((c) => ('retval' in c.result ? c.result.retval : c.result))).toEqual([1, 1, 1, 2, 2, 1, 1]);
    const lb = goldens[1].programs.xdp_load_balancer.cases[0].result;
    expect('retval' in lb && lb.retval).toBe(3);
    // Outer IPv4 header: TTL 9 at byte 22 and the source's last byte 0x77 at byte 29.
    expect('dataOut' in lb && [lb.dataOut.slice(44, 46), lb.dataOut.slice(58, 60)]).toEqual(['09', '77']);
  });

  describe.each(engines.map((e) => e.name as EngineName))('%s engine gives the kernel’s answers', (engine) => {
    it.each(objects.map((o, i) => [o.id, i] as const))('%s', (_id, i) => {
      const o = objects[i];
      const v = compareProgram(goldens[i], o.project, o.id, o.runs[0].program, () => runOnXdpchain(o, o.runs[0], engine, goldens[i].possibleCpus), {
        maps: new Set(),
      });
      expect(v.status).toBe('loaded');
      expect(v.packets.filter((p) => !p.match)).toEqual([]);
      expect(v.packets.length).toBeGreaterThan(0);
    });
  });
});

describe('objects embedded in binaries (tools/corpus/embedded.ts)', () => {
  it('finds each BPF object inside other bytes, whole, and skips ELF files of other machines', () => {
    const obj = (name: string) => new Uint8Array(readFileSync(join(repoRoot(), 'progs/build', `${name}.o`)));
    const [a, b] = [obj('firewall'), obj('xdp_pass')];
    // An x86-64 ELF header (e_machine 62) must not count, nor stray 0x7f bytes.
    const host = new Uint8Array(64);
    host.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    host[16] = 1;
    host[18] = 62;
    const filler = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0x7f);
    const parts = [filler(1001, 1), host, filler(37, 2), a, filler(5, 3), b, filler(300, 4)];
    const blob = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    const offsets = parts.map((p) => {
      blob.set(p, at);
      at += p.length;
      return at - p.length;
    });
    const found = embeddedBpfObjects(blob);
    expect(found).toEqual([
      { offset: offsets[3], size: a.length },
      { offset: offsets[5], size: b.length },
    ]);
    expect(blob.subarray(found[0].offset, found[0].offset + found[0].size)).toEqual(a);
  });
});
