/**
 * Lazily parsed BTF (parseBtfLazily, what readBtfFile gives): the same types as the eager parser,
 * decoded on first read, as a read-only array; the same refusals of malformed input, with their
 * offsets; and searches by essential name that agree with a scan of every type.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { bundledBtfPath, VMLINUX_BTF_PATH } from '../../src/btf/bundled.js';
import { decodeBtfType } from '../../src/btf/decode.js';
import { readBtfFile } from '../../src/elf/btf-file.js';
import { scanBtf } from '../../src/btf/layout.js';
import { parseBtfLazily } from '../../src/btf/lazy.js';
import { essentialName, typeIdsByEssentialName } from '../../src/btf/names.js';
import { parseBtf } from '../../src/btf/parse.js';
import { findType } from '../../src/btf/query.js';
import type { Btf, BtfType } from '../../src/btf/types.js';
import { MalformedInputError } from '../../src/errors/index.js';
import { encodeBtf } from '../../src/link/btf-encode.js';
import { errorOf } from '../error-of.js';
import { everyKind } from './every-kind.js';

vi.mock(import('../../src/btf/decode.js'), async (original) => {
  const m = await original();
  return { ...m, decodeBtfType: vi.fn(m.decodeBtfType) };
});

const HEADER = 24;
const hasVmlinux = existsSync(VMLINUX_BTF_PATH);
const vmlinux = hasVmlinux ? new Uint8Array(readFileSync(VMLINUX_BTF_PATH)) : new Uint8Array(0);
const bundled = new Uint8Array(readFileSync(bundledBtfPath()));

/** The first id where two type tables differ, or -1 (node's deep equality: fast enough for 126,000 types). */
function firstDifference(a: readonly (BtfType | undefined)[], b: readonly (BtfType | undefined)[]): number {
  for (let id = 0; id < Math.max(a.length, b.length); id++) if (!isDeepStrictEqual(a[id], b[id])) return id;
  return -1;
}

/** Every type id a type refers to. */
function referencesOf(t: BtfType): number[] {
  switch (t.kind) {
    case 'array':
      return [t.elemType, t.indexType];
    case 'struct':
    case 'union':
      return t.members.map((m) => m.type);
    case 'func_proto':
      return [t.returnType, ...t.params.map((p) => p.type)];
    case 'datasec':
      return t.vars.map((v) => v.type);
    case 'ptr':
    case 'typedef':
    case 'volatile':
    case 'const':
    case 'restrict':
    case 'type_tag':
    case 'func':
    case 'var':
    case 'decl_tag':
      return [t.type];
    default:
      return [];
  }
}

/** Ids by essential name, the slow way: every type decoded and compared. */
function scanNames(btf: Btf, name: string): number[] {
  const ids: number[] = [];
  btf.types.forEach((t, id) => {
    if (t && essentialName(t.name) === name) ids.push(id);
  });
  return ids;
}

describe('a lazily parsed BTF', () => {
  it('decodes every type of the bundled BTF as parseBtf does', () => {
    const eager = parseBtf(bundled, 'bundled');
    const lazy = parseBtfLazily(bundled, 'bundled');
    expect(lazy.types.length).toBe(eager.types.length);
    expect(firstDifference(lazy.types, eager.types)).toBe(-1);
    expect(firstDifference(readBtfFile(bundledBtfPath()).types, eager.types)).toBe(-1);
  });

  it.skipIf(!hasVmlinux)(
    `decodes every type of the running kernel's BTF (${VMLINUX_BTF_PATH}) as parseBtf does`,
    () => {
      const eager = parseBtf(vmlinux, 'vmlinux');
      const lazy = parseBtfLazily(vmlinux, 'vmlinux');
      expect(lazy.types.length).toBe(eager.types.length);
      const id = firstDifference(lazy.types, eager.types);
      if (id >= 0) expect(lazy.types[id]).toEqual(eager.types[id]);
      expect(id).toBe(-1);
    },
    60_000,
  );

  it('decodes a type only when it is first read, once; searching by name decodes only what matches', () => {
    const decodes = vi.mocked(decodeBtfType);
    const named = scanNames(parseBtf(bundled), 'xdp_md');
    decodes.mockClear();
    const btf = parseBtfLazily(bundled, 'bundled');
    expect(decodes).not.toHaveBeenCalled();
    const first = btf.types[7];
    expect(btf.types[7]).toBe(first);
    expect(decodes).toHaveBeenCalledTimes(1);
    expect(typeIdsByEssentialName(btf, 'xdp_md')).toEqual(named);
    expect(decodes).toHaveBeenCalledTimes(1);
    const md = findType(btf, 'xdp_md', 'struct');
    expect(md?.name).toBe('xdp_md');
    expect(decodes.mock.calls.length).toBeLessThanOrEqual(1 + typeIdsByEssentialName(btf, 'xdp_md').length);
  });

  it('reads as an array that cannot be written', () => {
    const btf = parseBtfLazily(encodeBtf(everyKind()));
    const plain = everyKind().types;
    const types = btf.types as (BtfType | undefined)[];
    expect(Array.isArray(types)).toBe(true);
    expect(types.length).toBe(plain.length);
    expect(types[0]).toBeUndefined();
    expect(types[plain.length]).toBeUndefined();
    expect(0 in types && plain.length - 1 in types && !(plain.length in types)).toBe(true);
    expect((types as unknown as Record<string, unknown>)['01']).toBeUndefined();
    expect(types.find((t) => t?.kind === 'datasec')?.name).toBe('.data');
    expect([...types].map((t) => t?.kind)).toEqual(plain.map((t) => t?.kind));
    expect(Object.keys(types)).toEqual(Object.keys(plain));
    expect(JSON.stringify(types, (_, v: unknown) => (typeof v === 'bigint' ? `${v}` : v))).toBe(
      JSON.stringify(plain, (_, v: unknown) => (typeof v === 'bigint' ? `${v}` : v)),
    );
    expect(() => {
      types[1] = undefined;
    }).toThrow(TypeError);
    expect(() => types.push(undefined)).toThrow(TypeError);
    expect(() => {
      delete types[1];
    }).toThrow(TypeError);
    expect(types[1]?.name).toBe('int');
  });

  it('keeps a copy of its input: changing the bytes afterwards changes nothing', () => {
    const bytes = encodeBtf(everyKind());
    const btf = parseBtfLazily(bytes);
    bytes.fill(0xff);
    expect(firstDifference(btf.types, everyKind().types)).toBe(-1);
  });
});

describe('types by essential name', () => {
  /** Names that overlap in every way a search of the string section could confuse. */
  const names = ['iphdr', 'iphdr___v2', 'iphdr___a___b', 'xiphdr', 'iphdr_x', 'ip', 'hdr', 'iphdr____', 'café', 'café___v1'];
  const struct = (id: number, name: string): BtfType => ({ kind: 'struct', id, name, size: 0, members: [] });
  const table = (list: string[]): Btf => ({
    types: [
      undefined,
      { kind: 'int', id: 1, name: 'int', size: 4, bits: 32, bitOffset: 0, signed: true, char: false, bool: false },
      ...list.map((n, i) => struct(i + 2, n)),
      { kind: 'func', id: list.length + 2, name: 'iphdr', type: 0, linkage: 'global' },
      struct(list.length + 3, ''),
    ],
    strings: new Uint8Array(0),
  });
  const queries = ['iphdr', 'iphdr___a', 'iphdr___v2', 'ip', 'xiphdr', 'hdr', 'iphdr____', 'café', 'int', '', 'nope'];

  it('finds exact names and flavours as a scan of every type does, with ASCII names searched in the string section', () => {
    const ascii = names.filter((n) => !n.startsWith('caf'));
    const bytes = encodeBtf(table(ascii));
    const lazy = parseBtfLazily(bytes);
    expect(scanBtf(bytes).strings.ascii).toBe(true);
    for (const q of queries) expect(typeIdsByEssentialName(lazy, q), q).toEqual(scanNames(parseBtf(bytes), q));
    expect(typeIdsByEssentialName(lazy, 'iphdr')).toEqual([2, 3, ascii.length + 2]);
    expect(typeIdsByEssentialName(lazy, 'iphdr___a')).toEqual([4]);
    expect(findType(lazy, 'iphdr', 'func')?.id).toBe(ascii.length + 2);
  });

  it('finds a name that starts inside another string (offsets may share a suffix)', () => {
    const bytes = encodeBtf(table(['xiphdr', 'other']));
    const layout = scanBtf(bytes);
    const strOff = new DataView(bytes.buffer).getUint32(16, true);
    const xiphdr = Buffer.from(layout.strings.bytes).indexOf('xiphdr\0');
    // Type 3 ('other') now names "hdr", the tail of "xiphdr".
    new DataView(bytes.buffer).setUint32(HEADER + layout.offsets[3], xiphdr + 3, true);
    expect(strOff).toBeGreaterThan(0);
    const lazy = parseBtfLazily(bytes);
    expect(lazy.types[3]?.name).toBe('hdr');
    for (const q of ['hdr', 'iphdr', 'xiphdr', 'other']) expect(typeIdsByEssentialName(lazy, q), q).toEqual(scanNames(parseBtf(bytes), q));
    expect(typeIdsByEssentialName(lazy, 'hdr')).toEqual([3]);
  });

  it('answers the same for names that are not ASCII (looked up type by type)', () => {
    const bytes = encodeBtf(table(names));
    expect(scanBtf(bytes).strings.ascii).toBe(false);
    const lazy = parseBtfLazily(bytes);
    for (const q of queries) expect(typeIdsByEssentialName(lazy, q), q).toEqual(scanNames(parseBtf(bytes), q));
    expect(typeIdsByEssentialName(lazy, 'café')).toEqual([10, 11]);
  });

  it.skipIf(!hasVmlinux)(
    "answers as a scan of every type does on the running kernel's BTF",
    () => {
      const eager = parseBtf(vmlinux, 'vmlinux');
      const lazy = parseBtfLazily(vmlinux, 'vmlinux');
      const byName = new Map<string, number[]>();
      eager.types.forEach((t, id) => {
        if (!t) return;
        const ids = byName.get(essentialName(t.name));
        if (ids) ids.push(id);
        else byName.set(essentialName(t.name), [id]);
      });
      const sample = [...byName.keys()]
        .filter((_, i) => i % 250 === 0)
        .concat(['iphdr', 'ethhdr', 'xdp_md', 'sk_buff', 'nf_conn', 'xdp_action', 'bpf_xdp_ct_lookup', 'no_such_type___v1']);
      for (const name of sample) expect(typeIdsByEssentialName(lazy, name), name).toEqual(byName.get(name) ?? []);
    },
    60_000,
  );
});

describe('malformed BTF, read lazily or eagerly', () => {
  const base = encodeBtf(everyKind());
  const layout = scanBtf(base);
  /** File offset of type `id`'s record. */
  const rec = (id: number): number => HEADER + layout.offsets[id];
  const patched = (edits: [at: number, value: number][]): Uint8Array => {
    const bytes = base.slice();
    for (const [at, value] of edits) new DataView(bytes.buffer).setUint32(at, value, true);
    return bytes;
  };
  const ref = (id: number, at: number, what: string, kind: string) => ({
    name: `${kind} ${what}`,
    bytes: patched([[rec(id) + at, 99]]),
    message: new RegExp(`^BTF: BTF type ${id} \\(${kind}\\) at offset ${rec(id)} \\(0x[0-9a-f]+\\): ${what} refers to type 99, but there are only 24 types$`),
    offset: rec(id),
  });
  const cases = [
    { name: 'bad magic', bytes: patched([[0, 0x1234]]), message: /BTF header at offset 0 .*magic 0x1234 is not 0xeb9f/, offset: 0 },
    { name: 'short header', bytes: patched([[4, 8]]), message: /header length 8 is below 24/, offset: 4 },
    { name: 'type section past the end', bytes: patched([[12, 0x7fffffff]]), message: /BTF type section .*run past the end/, offset: HEADER },
    {
      name: 'string section past the end',
      bytes: patched([[20, 0x7fffffff]]),
      message: /BTF string section .*run past the end/,
      offset: HEADER + new DataView(base.buffer).getUint32(16, true),
    },
    {
      name: 'truncated record',
      bytes: patched([[12, layout.offsets[24] + 6]]),
      message: /^BTF: BTF type 24 at offset \d+ .*: 12 bytes at \d+ run past the end/,
      offset: rec(24),
    },
    {
      name: 'unknown kind',
      bytes: patched([[rec(7) + 4, 20 << 24]]),
      message: new RegExp(`^BTF: BTF type 7 at offset ${rec(7)} .*unknown kind 20`),
      offset: rec(7),
    },
    {
      name: 'members past the end',
      bytes: patched([[rec(5) + 4, (4 << 24) | 0xffff]]),
      message: /^BTF: members of BTF type 5 at offset \d+ .*: 786420 bytes at \d+ run past the end/,
      offset: rec(5) + 12,
    },
    {
      name: 'type name outside the strings',
      bytes: patched([[rec(5), 0xffffff]]),
      message: /^BTF: name of BTF type 5 .*string offset 16777215 is outside the \d+-byte string table/,
      offset: 0xffffff,
    },
    {
      name: 'member name outside the strings',
      bytes: patched([[rec(5) + 12 + 12, 0xffffff]]),
      message: /^BTF: member 1 of BTF type 5 .*string offset 16777215 is outside/,
      offset: 0xffffff,
    },
    {
      name: 'enumerator name outside the strings',
      bytes: patched([[rec(7) + 12 + 8, 0xffffff]]),
      message: /^BTF: value 1 of BTF type 7 .*string offset 16777215 is outside/,
      offset: 0xffffff,
    },
    {
      name: 'enum64 enumerator name outside the strings',
      bytes: patched([[rec(9) + 12, 0xffffff]]),
      message: /^BTF: value 0 of BTF type 9 .*string offset 16777215 is outside/,
      offset: 0xffffff,
    },
    {
      name: 'parameter name outside the strings',
      bytes: patched([[rec(16) + 12, 0xffffff]]),
      message: /^BTF: parameter 0 of BTF type 16 .*string offset 16777215 is outside/,
      offset: 0xffffff,
    },
    {
      name: 'function linkage',
      bytes: patched([[rec(17) + 4, (12 << 24) | 3]]),
      message: new RegExp(`^BTF: BTF type 17 at offset ${rec(17)} .*unknown function linkage 3`),
      offset: rec(17),
    },
    {
      name: 'variable linkage',
      bytes: patched([[rec(19) + 12, 7]]),
      message: new RegExp(`^BTF: BTF type 19 at offset ${rec(19) + 12} .*unknown variable linkage`),
      offset: rec(19) + 12,
    },
    ref(3, 8, 'its type', 'ptr'),
    ref(12, 8, 'its type', 'typedef'),
    ref(13, 8, 'its type', 'volatile'),
    ref(14, 8, 'its type', 'const'),
    ref(15, 8, 'its type', 'restrict'),
    ref(24, 8, 'its type', 'type_tag'),
    ref(17, 8, 'its type', 'func'),
    ref(19, 8, 'its type', 'var'),
    ref(23, 8, 'its type', 'decl_tag'),
    ref(4, 12, 'element type', 'array'),
    ref(4, 16, 'index type', 'array'),
    ref(5, 12 + 12 + 4, 'member b', 'struct'),
    ref(6, 12 + 4, 'member x', 'union'),
    ref(16, 8, 'return type', 'func_proto'),
    ref(16, 12 + 4, 'parameter p', 'func_proto'),
    ref(21, 12 + 12, 'variable', 'datasec'),
  ];

  it.each(cases)('$name: the same MalformedInputError, naming the structure and offset', ({ bytes, message, offset }) => {
    const eager = errorOf(() => parseBtf(bytes));
    const lazy = errorOf(() => parseBtfLazily(bytes));
    expect(lazy).toBeInstanceOf(MalformedInputError);
    expect(lazy.message).toMatch(message);
    expect((lazy as MalformedInputError).offset).toBe(offset);
    expect(eager.message).toBe(lazy.message);
  });

  it('whatever the bytes, a BTF that passes the checks decodes every type, each reference in range', () => {
    let x = 0x5eed;
    const rnd = (n: number): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    let accepted = 0;
    let refused = 0;
    for (const [original, variants] of [
      [base, 2000],
      [bundled, 300],
    ] as const) {
      for (let i = 0; i < variants; i++) {
        const bytes = original.slice();
        const dv = new DataView(bytes.buffer);
        for (let k = 1 + rnd(3); k > 0; k--) {
          // Small numbers where counts and references live, else any byte.
          if (rnd(2) === 0)
            dv.setUint32(HEADER + rnd((bytes.length - HEADER) >> 2) * 4, [rnd(40), 0xffffffff, rnd(0x20000), (rnd(20) << 24) | rnd(4)][rnd(4)], true);
          else bytes[rnd(bytes.length)] = rnd(256);
        }
        let btf: Btf;
        try {
          btf = parseBtfLazily(bytes);
        } catch (e) {
          expect(e, `mutation ${i}`).toBeInstanceOf(MalformedInputError);
          refused++;
          continue;
        }
        accepted++;
        const types = [...btf.types];
        // Checked without expect() per reference, which would dominate the time.
        const dangling = types.flatMap((t) =>
          t
            ? referencesOf(t)
                .filter((r) => r >= types.length)
                .map((r) => `${t.kind} ${t.id} → ${r}`)
            : [],
        );
        expect(dangling, `mutation ${i}`).toEqual([]);
        expect(firstDifference(types, parseBtf(bytes).types), `mutation ${i}`).toBe(-1);
      }
    }
    // Both outcomes must be common, or the mutations miss the checks.
    expect(accepted).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(300);
  }, 60_000);
});
