import { describe, expect, it } from 'vitest';
import { ArrayMap } from '../../src/maps/array.js';
import { createMap } from '../../src/maps/create.js';
import { HashMap } from '../../src/maps/hash.js';
import { LpmTrieMap } from '../../src/maps/lpm-trie.js';
import { Err, u32Key, UpdateFlag, type BpfMap, type MapObjects } from '../../src/maps/map.js';
import { MapInMap } from '../../src/maps/map-in-map.js';
import { PerfEventArrayMap } from '../../src/maps/perf-event-array.js';
import { ProgArrayMap } from '../../src/maps/prog-array.js';
import { MapRegistry } from '../../src/maps/registry.js';
import { RingBufMap } from '../../src/maps/ringbuf.js';
import { MapFlag, type MapSpec, type MapTypeName } from '../../src/object-spec/map-spec.js';
import { AddressSpace } from '../../src/vm/address-space.js';
import { errorOf } from '../error-of.js';

const CPUS = 2;
function setup(objects?: MapObjects) {
  const space = new AddressSpace({ maxDataBytes: 8 << 20 });
  const registry = new MapRegistry();
  const make = (type: MapTypeName, over: Partial<MapSpec> = {}): BpfMap =>
    createMap(
      {
        name: `m_${type}`,
        type,
        keySize: 4,
        valueSize: 8,
        maxEntries: 4,
        flags: 0,
        pinning: 'none',
        contents: [],
        frozen: false,
        keyTypeId: 0,
        valueTypeId: 0,
        ...over,
      },
      { space, possibleCpus: CPUS, registry, objects },
    );
  /** Copy bytes into a scratch region and return its address (what a program would pass). */
  const scratch = space.alloc(256, 'scratch');
  const at = (bytes: Uint8Array, off = 0): number => {
    space.u8.set(bytes, scratch.addr + off);
    return scratch.addr + off;
  };
  return { space, registry, make, at };
}
const v8 = (n: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};
const errno = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { errno?: string }).errno;
  }
  return 'no error';
};

describe('array and percpu_array', () => {
  it('are zero-filled, refuse deletes, NOEXIST, out-of-range indexes and wrong sizes with the kernel errnos', () => {
    const { make } = setup();
    const m = make('array');
    expect(m.lookup(u32Key(3))).toEqual(new Uint8Array(8));
    expect(m.lookup(u32Key(4))).toBeUndefined();
    expect(errno(() => m.update(u32Key(4), v8(1)))).toBe('E2BIG');
    expect(errno(() => m.update(u32Key(0), v8(1), UpdateFlag.NOEXIST))).toBe('EEXIST');
    expect(errno(() => m.update(u32Key(0), v8(1), 3))).toBe('EINVAL');
    expect(errno(() => m.update(u32Key(0), new Uint8Array(7)))).toBe('EINVAL');
    expect(errno(() => m.delete(u32Key(0)))).toBe('EINVAL');
    m.update(u32Key(2), v8(42), UpdateFlag.EXIST);
    expect(m.lookup(u32Key(2))).toEqual(v8(42));
  });

  it('iterate every index and restart from 0 after an out-of-range key', () => {
    const { make } = setup();
    const m = make('array');
    const keys: number[] = [];
    for (let k = m.nextKey(); k; k = m.nextKey(k)) keys.push(k[0]);
    expect(keys).toEqual([0, 1, 2, 3]);
    expect(m.nextKey(u32Key(99))).toEqual(u32Key(0));
  });

  it('give programs per-CPU addresses and user space one 8-byte-aligned value per CPU', () => {
    const { make, at, space } = setup();
    const m = make('percpu_array', { valueSize: 4 });
    const a0 = m.lookupElem(at(u32Key(1)), 0);
    const a1 = m.lookupElem(at(u32Key(1)), 1);
    expect(a0).not.toBe(a1);
    space.dv.setUint32(a1, 7, true);
    expect(m.lookup(u32Key(1))).toEqual(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0));
    expect(errno(() => m.update(u32Key(0), new Uint8Array(8)))).toBe('EINVAL');
    m.update(u32Key(0), new Uint8Array(16).fill(1));
    expect(space.dv.getUint32(m.lookupElem(at(u32Key(0)), 1), true)).toBe(0x01010101);
  });

  it('program-side calls return addresses or negative errnos', () => {
    const { make, at } = setup();
    const m = make('array');
    expect(m.lookupElem(at(u32Key(9)), 0)).toBe(0);
    expect(m.updateElem(at(u32Key(9)), at(v8(1), 8), 0, 0)).toBe(Err.E2BIG);
    expect(m.updateElem(at(u32Key(1)), at(v8(1), 8), UpdateFlag.NOEXIST, 0)).toBe(Err.EEXIST);
    expect(m.deleteElem(at(u32Key(1)))).toBe(Err.EINVAL);
  });

  it('list the indexes whose value differs from zero on some CPU, elements across 64 KiB blocks included', () => {
    const { make } = setup();
    // 24-byte values, 2 CPUs: 48-byte elements, so some straddle a 64 KiB boundary (element 1365).
    const m = make('percpu_array', { valueSize: 20, maxEntries: 50000 }) as ArrayMap;
    const value = (cpu: number, byte: number) => {
      const v = new Uint8Array(48);
      v[cpu * 24 + byte] = 1;
      return v;
    };
    const wanted = [0, 1365, 1366, 20000, 49999];
    m.update(u32Key(0), value(0, 0));
    m.update(u32Key(1365), value(1, 19));
    m.update(u32Key(1366), value(0, 3));
    m.update(u32Key(20000), value(1, 0));
    m.update(u32Key(49999), value(1, 19));
    expect(m.nonZeroIndexes()).toEqual(wanted);
    m.update(u32Key(20000), new Uint8Array(48));
    expect(m.nonZeroIndexes()).toEqual([0, 1365, 1366, 49999]);
  });

  it('frozen (.rodata) arrays refuse program writes but stay readable', () => {
    const { make, space, at } = setup();
    const m = make('array', { maxEntries: 1, frozen: true, initialData: v8(5) });
    const addr = m.lookupElem(at(u32Key(0)), 0);
    expect(space.accessible(addr, 8, false)).toBe(true);
    expect(space.accessible(addr, 8, true)).toBe(false);
    expect((m as ArrayMap).lookup(u32Key(0))).toEqual(v8(5));
  });

  it('frozen arrays refuse user-space updates and deletes with EPERM, as bpf() does after BPF_MAP_FREEZE', () => {
    const { make } = setup();
    const m = make('array', { name: '.rodata', maxEntries: 1, frozen: true, initialData: v8(5) });
    const update = errorOf(() => m.update(u32Key(0), v8(7)));
    expect(update.errno).toBe('EPERM');
    expect(update.message).toContain('map .rodata');
    expect(update.message).toContain('frozen');
    expect(errorOf(() => m.delete(u32Key(0))).errno).toBe('EPERM');
    expect(m.lookup(u32Key(0))).toEqual(v8(5));
  });

  it('the loader still writes a frozen array (libbpf fills .rodata before freezing it)', () => {
    const { make } = setup();
    const m = make('array', { maxEntries: 1, frozen: true, initialData: v8(5) });
    m.loaderUpdate(u32Key(0), v8(9));
    expect(m.lookup(u32Key(0))).toEqual(v8(9));
  });
});

describe('hash family', () => {
  it('hash: NOEXIST/EXIST, full → E2BIG, missing delete → ENOENT', () => {
    const { make } = setup();
    const m = make('hash');
    for (let i = 0; i < 4; i++) m.update(u32Key(i), v8(i), UpdateFlag.NOEXIST);
    expect(errno(() => m.update(u32Key(9), v8(9)))).toBe('E2BIG');
    m.update(u32Key(1), v8(11));
    expect(errno(() => m.update(u32Key(1), v8(11), UpdateFlag.NOEXIST))).toBe('EEXIST');
    expect(errno(() => m.update(u32Key(9), v8(9), UpdateFlag.EXIST))).toBe('ENOENT');
    m.delete(u32Key(0));
    expect(errno(() => m.delete(u32Key(0)))).toBe('ENOENT');
    m.update(u32Key(9), v8(9));
    expect((m as HashMap).size).toBe(4);
  });

  it('hash: iteration covers every key, survives deleting the current key and restarts from an unknown key', () => {
    const { make } = setup();
    const m = make('hash', { maxEntries: 16 });
    for (let i = 0; i < 10; i++) m.update(u32Key(i * 3), v8(i));
    const seen: number[] = [];
    let k = m.nextKey();
    while (k) {
      seen.push(k[0]);
      const next = m.nextKey(k);
      if (k[0] === 6) m.delete(k);
      k = next;
    }
    expect(seen.sort((a, b) => a - b)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(m.nextKey(u32Key(1000))).toEqual(m.nextKey());
  });

  it('lru_hash evicts the least recently used element; program lookups refresh', () => {
    const { make, at } = setup();
    const m = make('lru_hash', { maxEntries: 3 });
    m.update(u32Key(1), v8(1));
    m.update(u32Key(2), v8(2));
    m.update(u32Key(3), v8(3));
    expect(m.lookupElem(at(u32Key(1)), 0)).not.toBe(0);
    m.update(u32Key(4), v8(4));
    expect(m.lookup(u32Key(2))).toBeUndefined();
    expect(m.lookup(u32Key(1))).toEqual(v8(1));
    expect(m.updateElem(at(u32Key(5)), at(v8(5), 8), 0, 0)).toBe(0);
    expect(m.lookup(u32Key(3))).toBeUndefined();
  });

  it('percpu_hash: a program update sets only the current CPU; a new element starts zeroed elsewhere', () => {
    const { make, at } = setup();
    const m = make('percpu_hash');
    expect(m.updateElem(at(u32Key(7)), at(v8(5), 8), 0, 1)).toBe(0);
    expect(m.lookup(u32Key(7))).toEqual(new Uint8Array([...new Uint8Array(8), ...v8(5)]));
  });
});

describe('lpm_trie', () => {
  const k4 = (len: number, ...ip: number[]) => Uint8Array.of(len, 0, 0, 0, ...ip);
  it('needs BPF_F_NO_PREALLOC and matches the longest prefix, including /0 and /32', () => {
    const { make } = setup();
    expect(errno(() => make('lpm_trie', { keySize: 8 }))).toBe('EINVAL');
    const m = make('lpm_trie', { keySize: 8, flags: MapFlag.NO_PREALLOC, maxEntries: 8 }) as LpmTrieMap;
    m.update(k4(0, 0, 0, 0, 0), v8(1));
    m.update(k4(8, 10, 0, 0, 0), v8(2));
    m.update(k4(24, 10, 1, 2, 0), v8(3));
    m.update(k4(32, 10, 1, 2, 3), v8(4));
    expect(m.lookup(k4(32, 10, 1, 2, 3))).toEqual(v8(4));
    expect(m.lookup(k4(32, 10, 1, 2, 9))).toEqual(v8(3));
    expect(m.lookup(k4(32, 10, 9, 9, 9))).toEqual(v8(2));
    expect(m.lookup(k4(32, 192, 168, 0, 1))).toEqual(v8(1));
    expect(m.lookup(k4(16, 10, 1, 2, 3))).toEqual(v8(2));
    expect(errno(() => m.update(k4(33, 1, 1, 1, 1), v8(0)))).toBe('EINVAL');
    expect(errno(() => m.delete(k4(16, 10, 1, 0, 0)))).toBe('ENOENT');
    m.delete(k4(8, 10, 0, 0, 0));
    expect(m.lookup(k4(32, 10, 9, 9, 9))).toEqual(v8(1));
  });

  it('reports a full trie as ENOSPC and handles IPv6 /128', () => {
    const { make } = setup();
    const m = make('lpm_trie', { keySize: 20, flags: MapFlag.NO_PREALLOC, maxEntries: 1 });
    const key = Uint8Array.of(128, 0, 0, 0, ...new Array(15).fill(0xfd), 1);
    m.update(key, v8(6));
    expect(m.lookup(key)).toEqual(v8(6));
    expect(errno(() => m.update(Uint8Array.of(64, 0, 0, 0, ...new Array(16).fill(1)), v8(0)))).toBe('ENOSPC');
  });
});

describe('ring buffer', () => {
  it('reserves, submits and discards with the kernel layout and capacity', () => {
    const { make, space } = setup();
    expect(errno(() => make('ringbuf', { keySize: 0, valueSize: 0, maxEntries: 4000 }))).toBe('EINVAL');
    const rb = make('ringbuf', { keySize: 0, valueSize: 0, maxEntries: 4096 }) as RingBufMap;
    let n = 0;
    while (rb.reserve(40, 0) !== 0) n++;
    // 48-byte records (8-byte header + 40): 85 fit in 4096 bytes, as the kernel showed.
    expect(n).toBe(85);
    expect(rb.consume()).toEqual([]);
    const fresh = make('ringbuf', { name: 'r2', keySize: 0, valueSize: 0, maxEntries: 4096 }) as RingBufMap;
    const a = fresh.reserve(3, 0);
    space.u8.set([1, 2, 3], a);
    const b = fresh.reserve(1, 0);
    fresh.commit(b, true);
    expect(fresh.consume()).toEqual([]);
    fresh.commit(a, false);
    expect(fresh.consume()).toEqual([Uint8Array.of(1, 2, 3)]);
    expect(fresh.query(0)).toBe(0);
    expect(fresh.output(Uint8Array.of(9), 4)).toBe(Err.EINVAL);
  });

  it('wraps records around the end of the data area', () => {
    const { make } = setup();
    const rb = make('ringbuf', { keySize: 0, valueSize: 0, maxEntries: 4096 }) as RingBufMap;
    for (let round = 0; round < 40; round++) {
      expect(rb.output(new Uint8Array(200).fill(round), 0)).toBe(0);
      expect(rb.consume()).toEqual([new Uint8Array(200).fill(round)]);
    }
    expect(rb.producer).toBeGreaterThan(4096);
  });
});

describe('maps of objects', () => {
  const prog = (id: number, type = 'xdp') => ({ id, name: `p${id}`, type, executable: {} as never });
  it('prog_array holds programs of one type and reports ids', () => {
    const programs = new Map([
      [1, prog(1)],
      [2, prog(2, 'sched_cls')],
    ]);
    const { make } = setup({ program: (id) => programs.get(id), map: () => undefined, ifindexExists: () => true });
    const m = make('prog_array', { valueSize: 4 }) as ProgArrayMap;
    m.update(u32Key(0), u32Key(1));
    expect(m.get(0)?.name).toBe('p1');
    expect(m.lookup(u32Key(0))).toEqual(u32Key(1));
    expect(errno(() => m.update(u32Key(1), u32Key(2)))).toBe('EINVAL');
    expect(errno(() => m.update(u32Key(1), u32Key(99)))).toBe('EBADF');
    expect(errno(() => m.delete(u32Key(3)))).toBe('ENOENT');
  });

  it('map-in-map checks inner maps against the template and gives programs the inner handle', () => {
    const { make, at, registry } = setup({ program: () => undefined, map: (id) => registry.get(id), ifindexExists: () => true });
    const inner = make('array', { name: 'inner' });
    const wrong = make('hash', { name: 'wrong' });
    const outer = make('array_of_maps', { valueSize: 4, innerMap: inner.spec }) as MapInMap;
    outer.update(u32Key(0), u32Key(inner.id));
    expect(errno(() => outer.update(u32Key(1), u32Key(wrong.id)))).toBe('EINVAL');
    expect(outer.lookupElem(at(u32Key(0)), 0)).toBe(inner.handle);
    expect(registry.byHandle(inner.handle)).toBe(inner);
  });

  it('a hash of maps takes keys of any size (a 20-byte VIP key), for user space and programs alike', () => {
    const { make, at, registry } = setup({ program: () => undefined, map: (id) => registry.get(id), ifindexExists: () => true });
    const inner = make('hash', { name: 'inner' });
    const other = make('hash', { name: 'other' });
    const outer = make('hash_of_maps', { keySize: 20, valueSize: 4, maxEntries: 2, innerMap: inner.spec }) as MapInMap;
    const vip = (n: number) => Uint8Array.from({ length: 20 }, (_, i) => (i === 19 ? n : i));
    outer.update(vip(1), u32Key(inner.id));
    outer.update(vip(2), u32Key(other.id));
    expect(errno(() => outer.update(vip(3), u32Key(inner.id)))).toBe('E2BIG');
    expect(outer.lookup(vip(3))).toBeUndefined();
    expect(outer.lookup(vip(2))).toEqual(u32Key(other.id));
    expect(outer.lookupElem(at(vip(1)), 0)).toBe(inner.handle);
    expect(outer.lookupElem(at(vip(3)), 0)).toBe(0);
    const keys: number[] = [];
    for (let k = outer.nextKey(); k; k = outer.nextKey(k)) keys.push(k[19]);
    expect(keys).toEqual([1, 2]);
    outer.delete(vip(1));
    expect(errno(() => outer.delete(vip(1)))).toBe('ENOENT');
    expect(outer.deleteElem(at(vip(2)))).toBe(0);
    expect(outer.nextKey()).toBeUndefined();
    expect(errno(() => make('array_of_maps', { keySize: 20, valueSize: 4, innerMap: inner.spec }))).toBe('EINVAL');
  });

  it('perf_event_array output follows the kernel errnos', () => {
    const { make } = setup();
    const m = make('perf_event_array', { valueSize: 4 }) as PerfEventArrayMap;
    expect(m.output(0, 0, Uint8Array.of(1))).toBe(Err.ENOENT);
    expect(m.output(4, 0, Uint8Array.of(1))).toBe(Err.E2BIG);
    const buf = m.open(1, 1);
    expect(m.output(0xffffffff, 1, Uint8Array.of(7))).toBe(0);
    expect(m.output(1, 0, Uint8Array.of(7))).toBe(Err.EOPNOTSUPP);
    expect(buf.drain()).toEqual([{ cpu: 1, data: Uint8Array.of(7) }]);
  });

  it('devmap refuses unknown devices and lets programs read the entry', () => {
    const { make, at, space } = setup({ program: () => undefined, map: () => undefined, ifindexExists: (i) => i === 5 });
    const m = make('devmap', { valueSize: 4 });
    expect(errno(() => m.update(u32Key(0), u32Key(6)))).toBe('EINVAL');
    m.update(u32Key(2), u32Key(5));
    const addr = m.lookupElem(at(u32Key(2)), 0);
    expect(space.dv.getUint32(addr, true)).toBe(5);
    expect(space.accessible(addr, 4, true)).toBe(false);
    expect(m.lookupElem(at(u32Key(1)), 0)).toBe(0);
  });

  it('create validates sizes and entries like map_create', () => {
    const { make } = setup();
    expect(errno(() => make('array', { maxEntries: 0 }))).toBe('EINVAL');
    expect(errno(() => make('hash', { valueSize: 0 }))).toBe('EINVAL');
    expect(errno(() => make('array', { keySize: 8 }))).toBe('EINVAL');
  });
});
