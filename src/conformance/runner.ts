import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { onUserPath, XdpchainError } from '../errors/index.js';
import { assemble } from '../isa/asm.js';
import { decodeProgram } from '../isa/program.js';
import { decodeRaw, type RawInstruction } from '../isa/raw.js';
import { AddressSpace } from '../vm/address-space.js';
import { CodeRegistry, type EngineOptions, type ExecutionEngine } from '../vm/engine.js';
import { helperTable, type HelperSpec } from '../vm/helper.js';
import { RunState } from '../vm/run-state.js';
import { parseDataFile, type ConformanceVector } from './data-file.js';

export type EngineFactory = (opts: EngineOptions) => ExecutionEngine;

/**
 * `ok` means the program was accepted and returned the stated result. Anything else fails with
 * a reason; `refused` marks programs the assembler or loader rejected (what the negative
 * vectors, which state an expected error, are for), `fault` ones that stopped while running.
 */
export interface VectorResult {
  file: string;
  ok: boolean;
  reason?: string;
  refused?: boolean;
  fault?: boolean;
  expected?: string;
  actual?: string;
}

/** The vectors' calling convention: helper 5 returns its first argument. */
export const conformanceHelpers: HelperSpec[] = [{ id: 5, name: 'conformance_identity', fn: (c) => c.u64(1) }];

/** The program of a vector: assembled from `asm`, else decoded from `raw`. */
export function vectorProgram(v: ConformanceVector): RawInstruction[] {
  if (v.asm !== undefined && v.asm.trim() !== '') return assemble(v.asm);
  if (v.raw) return decodeRaw(v.raw, 'raw section');
  throw new Error('the vector has no program (no asm or raw section)');
}

/** Run one vector; any failure to parse, load or run, and any mismatch, is a failure with a reason. */
export function runVector(file: string, text: string, createEngine: EngineFactory): VectorResult {
  const name = basename(file);
  try {
    const v = parseDataFile(text, name);
    if (v.result === undefined && v.error === undefined) return { file, ok: false, reason: 'the vector states neither a result nor an error' };
    const expectation = v.error !== undefined ? `refusal${v.error ? ` (${v.error})` : ''}` : `0x${v.result!.toString(16)}`;
    let exe;
    const space = new AddressSpace({ maxDataBytes: 1 << 20 });
    try {
      const program = decodeProgram(vectorProgram(v), { program: name });
      const engine = createEngine({ space, registry: new CodeRegistry() });
      exe = engine.compile({ name, program, helpers: helperTable(conformanceHelpers), callxHelperIds: true });
    } catch (e) {
      return { file, ok: false, refused: true, reason: `refused: ${e instanceof Error ? e.message : String(e)}`, expected: expectation };
    }
    let r0: bigint;
    try {
      let addr = 0;
      if (v.mem.length > 0) {
        const region = space.alloc(v.mem.length, 'mem');
        space.view(region).set(v.mem);
        addr = region.addr;
      }
      r0 = exe.run(new RunState({ budget: 1_000_000 }), addr, v.mem.length);
    } catch (e) {
      return { file, ok: false, fault: true, reason: `fault: ${e instanceof Error ? e.message : String(e)}`, expected: expectation };
    }
    const actual = `0x${r0.toString(16)}`;
    if (v.error !== undefined)
      return { file, ok: false, reason: `expected a ${expectation} but the program ran and returned ${actual}`, expected: expectation, actual };
    const expected = expectation;
    return r0 === v.result ? { file, ok: true, expected, actual } : { file, ok: false, reason: `r0 is ${actual}, expected ${expected}`, expected, actual };
  } catch (e) {
    return { file, ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Every `.data` file under the given files and directories, sorted. A path that does not exist,
 * or a directory without vectors, is refused: "0 passed, 0 failed" would read as success.
 */
export function collectVectorFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const what = `conformance path ${p}`;
    if (onUserPath(what, () => statSync(p)).isDirectory()) {
      const files = onUserPath(what, () => readdirSync(p))
        .filter((f) => f.endsWith('.data'))
        .sort();
      if (files.length === 0)
        throw new XdpchainError(
          'EINVAL',
          `${what}: the directory holds no .data vectors; give the tests directory of a bpf_conformance checkout or .data files`,
        );
      out.push(...files.map((f) => join(p, f)));
    } else out.push(p);
  }
  return out;
}

export function runVectors(paths: readonly string[], createEngine: EngineFactory): VectorResult[] {
  return collectVectorFiles(paths).map((f) =>
    runVector(
      f,
      onUserPath(`conformance vector ${f}`, () => readFileSync(f, 'utf8')),
      createEngine,
    ),
  );
}
