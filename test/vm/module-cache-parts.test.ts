/** The parts of the compiled-module cache: what the key covers, what is recorded, and damaged entries. */
import { describe, expect, it } from 'vitest';
import { PseudoLd } from '../../src/isa/opcodes.js';
import type { ExecutableSpec } from '../../src/vm/engine.js';
import type { HelperSpec } from '../../src/vm/helper.js';
import { helperTable } from '../../src/vm/helper.js';
import { decodeCode, type Code } from '../../src/vm/interp/code.js';
import type { ModuleStore } from '../../src/vm/module-store.js';
import { answerText } from '../../src/vm/wasm/answer-text.js';
import { decodeEntry, encodeEntry } from '../../src/vm/wasm/cache-entry.js';
import { moduleKey } from '../../src/vm/wasm/cache-key.js';
import { compileProgramModule } from '../../src/vm/wasm/cached-compile.js';
import { answersHold, CodegenInputs } from '../../src/vm/wasm/codegen-inputs.js';
import { compileToWasm, type CodegenLayout } from '../../src/vm/wasm/codegen.js';
import { inlineMapLookup } from '../../src/vm/wasm/inline-maps.js';
import { program } from './program-helpers.js';

// With the runtime's lowering, so the generator inlines the lookup and asks for the array's layout.
const lookup: HelperSpec = { id: 1, name: 'bpf_map_lookup_elem', fn: () => 0, wasm: inlineMapLookup };
const layout: CodegenLayout = { scratch: 0x10000, stackTop: 0x20000, limit: 2 ** 32 };
const ARRAY = 0x100000;

/** `r0 = bpf_map_lookup_elem(map 7, &key)`: an array lookup the engine compiles inline when it knows the map. */
function spec(maxEntries: number, extra: Partial<ExecutableSpec> = {}): ExecutableSpec {
  return {
    name: 'lookup',
    program: program([
      { kind: 'store', size: 4, base: 10, off: -4, value: { imm: 0 } },
      { kind: 'ld_imm64', dst: 1, pseudo: PseudoLd.IMM, imm: 7n },
      { kind: 'alu', bits: 64, op: 'mov', dst: 2, src: { reg: 10 } },
      { kind: 'alu', bits: 64, op: 'add', dst: 2, src: { imm: -4 } },
      { kind: 'call', target: 'helper', imm: 1 },
      { kind: 'exit' },
    ]),
    helpers: helperTable([lookup]),
    arrayLayout: (handle) => (handle === 7 ? { base: ARRAY, stride: 8, maxEntries, cpus: 1, valueSize: 8 } : undefined),
    ...extra,
  };
}

class MemoryStore implements ModuleStore {
  readonly entries = new Map<string, Uint8Array>();
  puts = 0;
  get(name: string): Uint8Array | undefined {
    return this.entries.get(name);
  }
  put(name: string, bytes: Uint8Array): void {
    this.puts++;
    this.entries.set(name, bytes);
  }
}

const code = (s: ExecutableSpec, uid = 1): Code => decodeCode(uid, s);

describe('module cache keys', () => {
  it('differ by generator build, program, uid, helper and layout, not by the spec answers', () => {
    const base = moduleKey('e1', code(spec(4)), layout);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(moduleKey('e1', code(spec(5)), layout)).toBe(base);
    expect(moduleKey('e2', code(spec(4)), layout)).not.toBe(base);
    expect(moduleKey('e1', code(spec(4), 2), layout)).not.toBe(base);
    expect(moduleKey('e1', code(spec(4)), { ...layout, stackTop: 0x30000 })).not.toBe(base);
    expect(moduleKey('e1', code(spec(4)), { ...layout, counters: 0x40000 })).not.toBe(base);
    expect(moduleKey('e1', code(spec(4, { helpers: helperTable([{ ...lookup, name: 'other' }]) })), layout)).not.toBe(base);
  });
});

describe('codegen inputs', () => {
  it('records the map layouts the generator asked for, which must hold again for a hit', () => {
    const inputs = new CodegenInputs(code(spec(4)));
    const fresh = compileToWasm(code(spec(4)), layout).binary;
    expect(compileToWasm(inputs.code, layout).binary).toEqual(fresh);
    const answers = inputs.answers!;
    expect(answers).toContainEqual({ name: 'arrayLayout', args: [7], value: answerText({ base: ARRAY, stride: 8, maxEntries: 4, cpus: 1, valueSize: 8 }) });
    expect(answersHold(spec(4), answers)).toBe(true);
    expect(answersHold(spec(5), answers)).toBe(false);
    expect(answersHold(spec(4, { arrayLayout: undefined }), answers)).toBe(false);
    expect(answersHold(spec(4, { cpuCell: 64 }), answers)).toBe(answers.every((a) => a.name !== 'cpuCell'));
    const throwing = spec(4, {
      arrayLayout: () => {
        throw new Error('no such map');
      },
    });
    expect(answersHold(throwing, answers)).toBe(false);
  });

  it('refuses to record when the generator reads what neither the key nor the answers cover', () => {
    const inputs = new CodegenInputs(code(spec(4)));
    expect(inputs.code.spec.name).toBe('lookup');
    expect(inputs.code.helpers[5]!.fn).toBe(lookup.fn);
    expect(inputs.answers).toBeUndefined();
    expect(inputs.unkeyedReads).toEqual(['spec.name', 'helper.fn']);
    const layoutAsObject = new CodegenInputs(
      code(spec(4, { arrayLayout: () => ({ base: 1, stride: 1, maxEntries: 1, cpus: 1, valueSize: 1, extra: new Uint8Array(1) }) as never })),
    );
    layoutAsObject.code.spec.arrayLayout!(7);
    expect(layoutAsObject.answers).toBeUndefined();
  });
});

describe('compileProgramModule', () => {
  it('without a generator identity neither reads nor writes the store', () => {
    const store = new MemoryStore();
    store.get = () => {
      throw new Error('read');
    };
    const m = compileProgramModule(code(spec(4)), layout, store, undefined);
    expect(m.cached).toBe(false);
    expect(store.puts).toBe(0);
  });

  it('stores on a miss, hits with the same bytes, and misses on a changed layout', () => {
    const store = new MemoryStore();
    expect(compileProgramModule(code(spec(4)), layout, store, 'e').cached).toBe(false);
    expect(store.puts).toBe(1);
    const [key, bytes] = [...store.entries][0];
    expect(decodeEntry(bytes)!.binary).toEqual(compileToWasm(code(spec(4)), layout).binary);
    expect(compileProgramModule(code(spec(4)), layout, store, 'e').cached).toBe(true);
    expect(compileProgramModule(code(spec(9)), layout, store, 'e').cached).toBe(false);
    expect([...store.entries.keys()]).toEqual([key]);
    expect(decodeEntry(store.entries.get(key))!.answers).toContainEqual(
      expect.objectContaining({ name: 'arrayLayout', value: expect.stringContaining('"maxEntries":9') }),
    );
  });

  it('treats a damaged entry as a miss and replaces it', () => {
    const store = new MemoryStore();
    compileProgramModule(code(spec(4)), layout, store, 'e');
    const [key, good] = [...store.entries][0];
    const entry = decodeEntry(good)!;
    const damaged = [
      good.subarray(0, 3),
      good.subarray(0, good.length - 5),
      Uint8Array.from([0xff, 0xff, 0xff, 0x7f, ...good.subarray(4)]),
      new TextEncoder().encode('{"entries":[0]}'),
      // A whole entry whose module bytes are not wasm.
      encodeEntry({ ...entry, binary: entry.binary.subarray(0, 20) }),
    ];
    for (const bad of damaged) {
      store.entries.set(key, bad);
      const m = compileProgramModule(code(spec(4)), layout, store, 'e');
      expect(m.cached).toBe(false);
      expect(store.entries.get(key)).toEqual(good);
    }
  });
});
