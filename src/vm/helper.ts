import { VmFault, XdpchainError } from '../errors/index.js';
import type { AddressSpace } from './address-space.js';
import type { Executable } from './engine.js';
import type { RunState } from './run-state.js';
import type { Expr } from './wasm/emit/expr.js';
import type { Lowering } from './wasm/lowering.js';

export type ArgIndex = 1 | 2 | 3 | 4 | 5;

/**
 * What a helper sees of the call: the five argument registers, the memory, the per-run state
 * and a way to call back into the program (bpf_loop). Engines reuse one object per run, so a
 * helper must not keep it after returning.
 */
export interface HelperCall {
  readonly space: AddressSpace;
  readonly state: RunState;
  /** The calling program and the slot of the call instruction (for error messages). */
  readonly exe: Executable;
  readonly insn: number;
  /** Low 32 bits of argument i, unsigned. */
  lo(i: ArgIndex): number;
  /** High 32 bits of argument i, unsigned. */
  hi(i: ArgIndex): number;
  /** Argument i as an unsigned 64-bit value. */
  u64(i: ArgIndex): bigint;
  /** Argument i as a memory address: throws a helper fault if it does not fit in 32 bits. */
  addr(i: ArgIndex): number;
  /** Call a function of a program (a BPF_PSEUDO_FUNC address) as a callee frame; returns its r0. */
  callFunction(addr: bigint | number, args: readonly (bigint | number)[]): bigint;
  /** End the run with a fault naming this call instruction. */
  fault(message: string): never;
}

/** A helper returns r0: a number is a signed integer (e.g. -22 for -EINVAL) sign-extended to 64 bits. */
export type HelperResult = number | bigint;

/**
 * How the wasm engine compiles a call to a helper inline: the call at `pc` as wasm expressions
 * (r0 set, the argument registers cleared as a call leaves them), or undefined where it cannot
 * (then the call goes to the helper's `fn` through the host). `g` is the function being lowered:
 * its registers, memory checks and what the runtime laid out (src/vm/wasm/lowering.ts).
 */
export type WasmHelperLowering = (g: Lowering, pc: number) => Expr[] | undefined;

export interface HelperSpec {
  readonly id: number;
  readonly name: string;
  readonly fn: (call: HelperCall) => HelperResult;
  /**
   * Set only for bpf_tail_call: resolve the target program. The engine then jumps to it (the
   * caller's frame is replaced and never returns) or, when undefined, continues after the call
   * with r0 = fn's result.
   */
  readonly tailCall?: (call: HelperCall) => Executable | undefined;
  /**
   * The helper in compiled code, beside its JS implementation: the wasm engine inlines calls
   * with it, so adding an inline helper touches only the helper's own file.
   */
  readonly wasm?: WasmHelperLowering;
}

export type HelperTable = ReadonlyMap<number, HelperSpec>;

/**
 * Run a helper for an engine. Memory it may not use (AddressSpace's EFAULT) ends the run as a
 * fault of the call instruction, naming the helper, as the helpers' own checks do.
 */
export function runHelperFn(h: HelperSpec, call: HelperCall): HelperResult {
  try {
    return h.fn(call);
  } catch (e) {
    // A fault the helper raised itself (call.fault) already names the call: pass it on as it is.
    if (e instanceof XdpchainError && !(e instanceof VmFault) && e.errno === 'EFAULT') call.fault(e.message);
    throw e;
  }
}

export function helperTable(specs: readonly HelperSpec[]): HelperTable {
  return new Map(specs.map((s) => [s.id, s]));
}

/** Convert a helper result to an unsigned 64-bit value. */
export function helperResultToU64(r: HelperResult): bigint {
  return BigInt.asUintN(64, typeof r === 'bigint' ? r : BigInt(r));
}
