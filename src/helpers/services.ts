import type { ConntrackTable } from '../conntrack/table.js';
import type { MapRegistry } from '../maps/registry.js';
import type { AddressSpace } from '../vm/address-space.js';
import type { FibNetwork } from './fib.js';
import type { SyncookieSecret } from './syncookie.js';

/** Monotonic clocks helpers read; injectable so runs are reproducible. */
export interface Clock {
  /** bpf_ktime_get_ns (CLOCK_MONOTONIC). */
  monotonicNs(): bigint;
  /** bpf_ktime_get_coarse_ns (CLOCK_MONOTONIC_COARSE). */
  coarseNs(): bigint;
}

/** One line of bpf_trace_printk output, with where it came from. */
export interface TraceLine {
  program: string;
  insn: number;
  cpu: number;
  text: string;
}

/** Everything runtime-wide that helpers need; the runtime builds one per instance. */
export interface HelperServices {
  readonly space: AddressSpace;
  readonly clock: Clock;
  /** bpf_get_prandom_u32: a u32. */
  random(): number;
  /** bpf_get_smp_processor_id: the CPU the run is on. */
  cpu(): number;
  /** Number of possible CPUs (per-CPU maps hold one value for each). */
  readonly possibleCpus: number;
  /** Sink for bpf_trace_printk (the kernel's trace_pipe). */
  trace(line: TraceLine): void;
  readonly maps: MapRegistry;
  /** Routes, neighbours and devices for bpf_fib_lookup. */
  readonly network: FibNetwork;
  /** The network namespace's connection tracking table (the conntrack kfuncs). */
  readonly conntrack: ConntrackTable;
  /** The keys SYN cookies are made with (the raw syncookie helpers). */
  readonly syncookies: SyncookieSecret;
}

/** CONFIG_HZ of the kernel xdpchain follows (6.18 as Debian builds it): jiffies per second. */
export const KERNEL_HZ = 250;

/** The kernel's jiffies (bpf_jiffies64): ticks of 1/KERNEL_HZ s of the coarse monotonic clock. */
export function jiffies64(clock: Clock): bigint {
  return clock.coarseNs() / BigInt(1_000_000_000 / KERNEL_HZ);
}

export const systemClock: Clock = {
  monotonicNs: () => process.hrtime.bigint(),
  coarseNs: () => (process.hrtime.bigint() / 4_000_000n) * 4_000_000n,
};

/** A clock that starts at `startNs` and advances `stepNs` on every read: reproducible runs. */
export function steppingClock(startNs = 1_000_000_000n, stepNs = 1_000n): Clock {
  let now = startNs;
  return {
    monotonicNs: () => (now += stepNs),
    coarseNs: () => now - (now % 4_000_000n),
  };
}

/** xorshift32 with a fixed seed: reproducible bpf_get_prandom_u32 sequences. */
export function seededRandom(seed = 0x2545f491): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
