/** Reading a BTF given on its own (--btf, /sys/kernel/btf/vmlinux), the bundled kernel BTF, and enum signedness. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_BTF_ROOTS, bundledBtfPath, bundledKernelBtf, defaultKernelBtf, VMLINUX_BTF_PATH } from '../../src/btf/bundled.js';
import { parseBtfFile, readBtfFile } from '../../src/elf/btf-file.js';
import { parseBtf } from '../../src/btf/parse.js';
import { findType } from '../../src/btf/query.js';
import { MalformedInputError, XdpchainError } from '../../src/errors/index.js';
import { encodeBtf } from '../../src/link/btf-encode.js';
import { CORE_FIXTURES } from './core-fixtures.js';

const repo = new URL('../../', import.meta.url).pathname;

describe('BTF files', () => {
  it('a file that is not BTF is a MalformedInputError naming it', () => {
    const path = join(repo, 'package.json');
    expect(() => readBtfFile(path)).toThrow(MalformedInputError);
    expect(() => readBtfFile(path)).toThrow(new RegExp(`^${path} at offset 0 \\(0x0\\): is not BTF`));
  });

  it('an ELF file without .BTF says so; one with .BTF gives its types; a missing file is ENOENT', () => {
    expect(() => readBtfFile('/bin/true')).toThrow(/^\/bin\/true: is an ELF file without a \.BTF section/);
    const btf = readBtfFile(join(CORE_FIXTURES, 'core_layout_a.o'));
    expect(findType(btf, 'iphdr___local', 'struct')).toBeDefined();
    expect(btf.source).toBe(join(CORE_FIXTURES, 'core_layout_a.o'));
    const err = (() => {
      try {
        readBtfFile('/nonexistent/vmlinux');
      } catch (e) {
        return e;
      }
    })();
    expect((err as XdpchainError).errno).toBe('ENOENT');
    expect((err as Error).message).toMatch(/cannot read BTF file \/nonexistent\/vmlinux/);
  });

  it('truncated raw BTF is malformed, naming the file', () => {
    const bytes = encodeBtf(bundledKernelBtf()).subarray(0, 100);
    expect(() => parseBtfFile(bytes, 'cut.btf')).toThrow(/^cut\.btf: BTF type section/);
  });
});

describe('the bundled kernel BTF', () => {
  const btf = bundledKernelBtf();

  it('is small and holds every listed type whole and every listed kfunc with its prototype', () => {
    expect(statSync(bundledBtfPath()).size).toBeLessThan(100_000);
    for (const name of BUNDLED_BTF_ROOTS.types) {
      const t = btf.types.find((x) => x?.name === name && x.kind !== 'fwd');
      expect(t, name).toBeDefined();
    }
    for (const name of BUNDLED_BTF_ROOTS.functions) {
      const f = findType(btf, name, 'func');
      expect(f, name).toBeDefined();
      expect(f?.kind === 'func' && btf.types[f.type]?.kind).toBe('func_proto');
    }
    const xdpMd = findType(btf, 'xdp_md', 'struct');
    expect(xdpMd?.kind === 'struct' && xdpMd.members.map((m) => m.name)).toEqual([
      'data',
      'data_end',
      'data_meta',
      'ingress_ifindex',
      'rx_queue_index',
      'egress_ifindex',
    ]);
  });

  it('keeps structs reached only through pointers as forward declarations', () => {
    const buff = findType(btf, 'xdp_buff', 'struct');
    const txq = buff?.kind === 'struct' ? buff.members.find((m) => m.name === 'txq') : undefined;
    const ptr = txq && btf.types[txq.type];
    expect(ptr?.kind === 'ptr' && btf.types[ptr.type]).toMatchObject({ kind: 'fwd', name: 'xdp_txq_info', union: false });
  });

  it("the default target is the running kernel's BTF where it exists, else the bundled one", () => {
    const d = defaultKernelBtf();
    expect(d.source).toBe(existsSync(VMLINUX_BTF_PATH) ? VMLINUX_BTF_PATH : btf.source);
    expect(defaultKernelBtf()).toBe(d);
  });
});

describe('enum signedness', () => {
  it("kind_flag set marks a signed enum, as in the kernel's BTF", () => {
    const types = [undefined, { kind: 'enum' as const, id: 1, name: 'e', size: 4, signed: true, values: [{ name: 'NEG', value: -1n }] }];
    const bytes = encodeBtf({ types, strings: new Uint8Array(0) });
    expect(new DataView(bytes.buffer).getUint32(24 + 4, true) >>> 31).toBe(1);
    expect(parseBtf(bytes).types[1]).toMatchObject({ signed: true, values: [{ name: 'NEG', value: -1n }] });
  });

  it.skipIf(!existsSync(VMLINUX_BTF_PATH))("the running kernel's rpm_status is signed with RPM_INVALID = -1", () => {
    const rpm = findType(defaultKernelBtf(), 'rpm_status', 'enum');
    expect(rpm).toMatchObject({ signed: true });
    expect(rpm?.kind === 'enum' && rpm.values.find((v) => v.name === 'RPM_INVALID')?.value).toBe(-1n);
  });
});
