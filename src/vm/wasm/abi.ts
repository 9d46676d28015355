/** Offsets in the engine's private scratch memory where wasm and the host pass values. */
export const Scratch = {
  r0: 0,
  /** r1..r5, 8 bytes each. */
  args: 8,
  /** callx: the register holding the target. */
  target: 48,
  /** The run's remaining instruction budget (i32), shared by every module of the engine. */
  budget: 56,
  /** Tail calls made so far in the run: set when a run starts (the batch driver zeroes it per program). */
  tailCount: 60,
  /** Run counter for replacements that have none of their own (an f64 nobody reads). */
  spareCounter: 64,
  /**
   * 1 when a call into a replacement may go straight to its code (counting its run in memory);
   * 0 when the host must hear it (timing, capture).
   */
  direct: 72,
  /** The XDP context of the packet running (0 when the run has none): the inline frame helpers' buffer. */
  ctx: 76,
  size: 80,
} as const;

/** First argument of the `fault` import: what went wrong. */
export const FaultCode = {
  memory: 0,
  budget: 1,
  callDepth: 2,
} as const;
