/**
 * Hash-map lookups from programs: an engine that probes the map's memory index must find exactly
 * what the map holds, through inserts, deletes, slot reuse and index rebuilds.
 */
import { describe, expect, it } from 'vitest';
import { encodeInstruction, type Instruction } from '../../src/isa/instruction.js';
import type { HashMap } from '../../src/maps/hash.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { MapSpec } from '../../src/object-spec/map-spec.js';
import { ENGINES } from '../../src/vm/engines.js';
import { loadProgramSpec, lookupReturningValue, xdpProgramSpec } from './specs.js';

const KEY = 6;
const hashSpec = (type: 'hash' | 'percpu_hash'): MapSpec => ({
  name: 'table',
  type,
  keySize: KEY,
  valueSize: 8,
  maxEntries: 16,
  flags: 0,
  pinning: 'none',
  contents: [],
  frozen: false,
  keyTypeId: 0,
  valueTypeId: 0,
});

/** Look up the packet's first 6 bytes; return the value's first u32, or 0xdead when absent. */
function program() {
  const i: Instruction[] = [{ kind: 'load', size: 4, signed: false, dst: 2, base: 1, off: 0 }, ...lookupReturningValue()];
  return {
    ...xdpProgramSpec(
      'lookup',
      i.flatMap((x) => encodeInstruction(x)),
    ),
    references: [{ slot: 1, kind: 'map' as const, map: 'table' }],
  };
}

const key = (n: number) => Uint8Array.from([n & 0xff, (n >> 8) & 0xff, 7, 7, n % 3, 1]);

describe('hash lookups from programs', () => {
  it.each(['hash', 'percpu_hash'] as const)('%s: every engine sees the map as it is after inserts, deletes and rebuilds', (type) => {
    const run = (engine: string) => {
      const rt = new Runtime({ engine: engine as 'wasm', possibleCpus: 2, cpu: 1, statsTiming: false });
      const prog = loadProgramSpec(rt, program(), new Map([['table', hashSpec(type)]]));
      const map = rt.maps.all()[0] as HashMap;
      const value = (n: number) => {
        const v = new Uint8Array(type === 'hash' ? 8 : 16);
        new DataView(v.buffer).setUint32(type === 'hash' ? 0 : 8, 1000 + n, true); // CPU 1's copy for per-CPU
        return v;
      };
      const seen: number[][] = [];
      const probe = () =>
        seen.push(Array.from({ length: 40 }, (_, n) => rt.testRun(prog, { data: Uint8Array.from([...key(n), ...new Uint8Array(60)]) }).retval));
      // Fill, empty in a different order, refill: tombstones, reused slots, and (past 3/4 of the table) rebuilds.
      for (let round = 0; round < 4; round++) {
        for (let n = round; n < 16 + round; n++) map.update(key(n), value(n));
        probe();
        for (let n = round; n < 16 + round; n += 2) map.delete(key(n));
        probe();
        for (let n = 16 + round + 1; n < 16 + round + 8; n++) map.update(key(n), value(n + 100));
        probe();
        for (const k of [...map.entries()]) map.delete(k);
        probe();
      }
      return seen;
    };
    const reference = run('interp');
    expect(reference.flat().filter((r) => r !== 0xdead).length).toBeGreaterThan(100);
    for (const engine of Object.keys(ENGINES)) expect(run(engine)).toEqual(reference);
  });
});
