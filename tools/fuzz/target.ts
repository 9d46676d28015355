import type { Rng } from './prng.js';

/** The input formats the harness fuzzes, one target each. */
export const TARGET_NAMES = ['elf', 'btf', 'pcap', 'pcapng', 'state', 'asm'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** A target ready to run: its seeds read, its temporary files made. */
export interface OpenTarget {
  /** The real inputs mutations start from. */
  readonly seeds: readonly Uint8Array[];
  /** A mutant of one of the seeds (or of two, spliced). */
  generate(rng: Rng): Uint8Array;
  /** Feed an input through the loaders and the CLI: returns on success, throws what they threw. */
  run(input: Uint8Array): Promise<void> | void;
  /** Remove every temporary file the target made. */
  close(): void;
}

/** One fuzz target: how to open it. */
export interface FuzzTarget {
  readonly name: TargetName;
  open(): Promise<OpenTarget> | OpenTarget;
}
