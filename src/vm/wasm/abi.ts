/** Offsets in the engine's private scratch memory where wasm and the host pass values. */
export const Scratch = {
  r0: 0,
  /** r1..r5, 8 bytes each. */
  args: 8,
  /** callx: the register holding the target. */
  target: 48,
  /** The run's remaining instruction budget (i32), shared by every module of the engine. */
  budget: 56,
  size: 64,
} as const;

/** First argument of the `fault` import: what went wrong. */
export const FaultCode = {
  memory: 0,
  budget: 1,
  callDepth: 2,
} as const;
