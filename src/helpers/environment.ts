import type { HelperSpec } from '../vm/helper.js';
import { jiffies64, type HelperServices } from './services.js';

/** Helpers whose answers come from the machine: time, randomness, CPU id (all injectable). */
export function environmentHelpers(s: HelperServices): HelperSpec[] {
  return [
    { id: 5, name: 'bpf_ktime_get_ns', fn: () => s.clock.monotonicNs() },
    { id: 7, name: 'bpf_get_prandom_u32', fn: () => s.random() >>> 0 },
    { id: 8, name: 'bpf_get_smp_processor_id', fn: () => s.cpu() },
    { id: 42, name: 'bpf_get_numa_node_id', fn: () => 0 },
    { id: 118, name: 'bpf_jiffies64', fn: () => jiffies64(s.clock) },
    { id: 125, name: 'bpf_ktime_get_boot_ns', fn: () => s.clock.monotonicNs() },
    { id: 160, name: 'bpf_ktime_get_coarse_ns', fn: () => s.clock.coarseNs() },
  ];
}
