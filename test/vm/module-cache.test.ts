/**
 * Compiled modules kept between runtimes (RuntimeOptions.moduleCache): a hit runs exactly as a
 * miss, and anything that changes the generated code (map layouts, CPUs) misses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { ipv4TcpSynFrame, ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime, type RuntimeOptions } from '../../src/runtime/runtime.js';
import type { CollectionSpec } from '../../src/object-spec/collection-spec.js';
import type { ModuleStore } from '../../src/vm/module-store.js';

// Tests run from src, where no build has written the generator's identity (src/vm/wasm/engine-id.ts).
vi.mock('../../src/vm/wasm/engine-id.js', () => ({ ENGINE_ID: 'test-engine' }));

/** A store in memory that counts what the engine asked of it. */
class CountingStore implements ModuleStore {
  readonly entries = new Map<string, Uint8Array>();
  gets = 0;
  found = 0;
  readonly puts: string[] = [];
  get(name: string): Uint8Array | undefined {
    this.gets++;
    const b = this.entries.get(name);
    if (b) this.found++;
    return b?.slice();
  }
  put(name: string, bytes: Uint8Array): void {
    this.puts.push(name);
    this.entries.set(name, bytes.slice());
  }
}

const objects = new URL('../../progs/build/', import.meta.url);
const spec = (file: string): CollectionSpec => readCollectionSpec(new Uint8Array(readFileSync(new URL(file, objects))), { source: file });
const fixedClock = { monotonicNs: () => 5_000_000_000n, coarseNs: () => 5_000_000_000n };
const frames = [ipv4UdpFrame(), ipv4UdpFrame({ ttl: 1 }), ipv4TcpSynFrame({ dstPort: 23 }), ipv4TcpSynFrame({ dstPort: 80 })];

/** Every program of an object run over the frames: verdicts, frames out, faults and then every map's contents. */
function outcome(file: string, opts: RuntimeOptions, edit: (s: CollectionSpec) => void = () => {}): unknown[] {
  const rt = new Runtime({ engine: 'wasm', possibleCpus: 2, statsTiming: false, random: () => 0.5, clock: fixedClock, ...opts });
  const s = spec(file);
  edit(s);
  let coll;
  try {
    coll = rt.loadCollection(s);
  } catch (e) {
    return [`load: ${(e as Error).message}`];
  }
  const out: unknown[] = [];
  for (const [name, prog] of coll.programs) {
    for (const data of frames) {
      try {
        const r = rt.testRun(prog, { data });
        out.push([name, r.retval, Buffer.from(r.dataOut).toString('hex'), r.fault?.message]);
      } catch (e) {
        out.push([name, (e as Error).message]);
      }
    }
  }
  for (const [name, m] of coll.maps) {
    const rows: string[] = [];
    try {
      for (let k = m.nextKey(); k && rows.length < 4096; k = m.nextKey(k))
        rows.push(`${Buffer.from(k).toString('hex')}=${Buffer.from(m.lookup(k) ?? []).toString('hex')}`);
    } catch (e) {
      // Maps without keys (ring buffers, perf event arrays).
      rows.push((e as Error).message);
    }
    out.push([name, rows]);
  }
  return out;
}

describe('the compiled module cache', () => {
  const files = readdirSync(objects)
    .filter((f) => f.endsWith('.o'))
    .sort();

  it.each(files)('%s: every module compiled is stored, and a later runtime runs the stored ones exactly as fresh ones', (file) => {
    const store = new CountingStore();
    const fresh = outcome(file, {});
    const miss = outcome(file, { moduleCache: store });
    // Every program compiled asked the store, found nothing, and stored its module: nothing the
    // generator read escaped the key and the recorded answers (else it would refuse to cache).
    expect(store.found).toBe(0);
    expect(store.puts.length).toBe(store.gets);
    const stored = new Map(store.entries);
    const hit = outcome(file, { moduleCache: store });
    expect(store.found).toBe(stored.size);
    expect(store.puts.length).toBe(stored.size);
    expect(miss).toEqual(fresh);
    expect(hit).toEqual(fresh);
    // The same inputs generate the same bytes: another store fills with the same entries.
    const again = new CountingStore();
    outcome(file, { moduleCache: again });
    expect(again.entries).toEqual(stored);
  });

  it('misses when a map layout the code was generated for changes (array size, CPUs), and stores the new module', () => {
    const file = 'proto_counters.o';
    const store = new CountingStore();
    outcome(file, { moduleCache: store, possibleCpus: 2 });
    const [key] = store.puts;
    expect(store.puts).toHaveLength(1);
    // Two CPUs more: the per-CPU array's values are laid out differently, though the program's
    // instructions (and so the entry's name) are the same.
    const wider = outcome(file, { moduleCache: store, possibleCpus: 4 });
    expect(store.found).toBe(1);
    expect(store.puts).toEqual([key, key]);
    expect(wider).toEqual(outcome(file, { possibleCpus: 4 }));
    // Fewer entries in the array: a miss again; then the same layout is a hit.
    const smaller = (s: CollectionSpec): void => {
      s.maps.get('proto_stats')!.maxEntries = 3;
    };
    const small = outcome(file, { moduleCache: store, possibleCpus: 4 }, smaller);
    expect(store.puts).toEqual([key, key, key]);
    expect(small).toEqual(outcome(file, { possibleCpus: 4 }, smaller));
    outcome(file, { moduleCache: store, possibleCpus: 4 }, smaller);
    expect(store.puts).toHaveLength(3);
    expect(store.found).toBe(3);
  });

  it('stores nothing and reads nothing for the interpreter', () => {
    const store = new CountingStore();
    outcome('firewall.o', { engine: 'interp', moduleCache: store });
    expect([store.gets, store.puts.length]).toEqual([0, 0]);
  });
});
