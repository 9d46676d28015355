/**
 * The helpers the wasm engine compiles inline carry their lowering in their own spec
 * (HelperSpec.wasm): the runtime's table must have one for each, or its calls would quietly go
 * through the host (same answers, several times slower).
 */
import { describe, expect, it } from 'vitest';
import { Runtime } from '../../src/runtime/runtime.js';

const INLINE = [
  'bpf_map_lookup_elem',
  'bpf_map_update_elem',
  'bpf_get_smp_processor_id',
  'bpf_tail_call',
  'bpf_redirect',
  'bpf_perf_event_output',
  'bpf_csum_diff',
  'bpf_redirect_map',
  'bpf_xdp_adjust_head',
  'bpf_xdp_adjust_meta',
  'bpf_xdp_adjust_tail',
  'bpf_spin_lock',
  'bpf_spin_unlock',
  'bpf_ringbuf_reserve',
  'bpf_ringbuf_query',
  'bpf_loop',
  'bpf_xdp_get_buff_len',
  'bpf_xdp_load_bytes',
  'bpf_xdp_store_bytes',
];

describe('helper lowerings', () => {
  it("every helper the wasm engine inlines has its lowering in the runtime's table, and no other does", () => {
    const helpers = [...new Runtime({}).helpers.values()];
    expect(
      helpers
        .filter((h) => h.wasm)
        .map((h) => h.name)
        .sort(),
    ).toEqual([...INLINE].sort());
  });
});
