import type { HelperSpec, WasmHelperLowering } from '../vm/helper.js';
import { jiffies64, type HelperServices } from './services.js';

/** bpf_get_smp_processor_id compiled: r0 = the u32 cell where the runtime keeps the running CPU. */
const cpuIdInWasm: WasmHelperLowering = (g) => {
  const cell = g.code.spec.cpuCell;
  if (cell === undefined) return undefined;
  const { m } = g;
  return [g.set(0, m.i64.extend_u(m.i32.load(0, 4, m.i32.const(cell)))), ...g.clearArgs()];
};

/** Helpers whose answers come from the machine: time, randomness, CPU id (all injectable). */
export function environmentHelpers(s: HelperServices): HelperSpec[] {
  return [
    { id: 5, name: 'bpf_ktime_get_ns', fn: () => s.clock.monotonicNs() },
    { id: 7, name: 'bpf_get_prandom_u32', fn: () => s.random() >>> 0 },
    { id: 8, name: 'bpf_get_smp_processor_id', fn: () => s.cpu(), wasm: cpuIdInWasm },
    { id: 42, name: 'bpf_get_numa_node_id', fn: () => 0 },
    { id: 118, name: 'bpf_jiffies64', fn: () => jiffies64(s.clock) },
    { id: 125, name: 'bpf_ktime_get_boot_ns', fn: () => s.clock.monotonicNs() },
    { id: 160, name: 'bpf_ktime_get_coarse_ns', fn: () => s.clock.coarseNs() },
  ];
}
