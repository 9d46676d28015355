import type { MapSpec } from '../object-spec/map-spec.js';
import { Err, type MapDeps } from './map.js';
import { ObjectSlotMap } from './object-slots.js';

/** One record bpf_perf_event_output wrote. */
export interface PerfRecord {
  cpu: number;
  data: Uint8Array;
}

/** A perf event ring opened for one slot (one CPU), as `perf_event_open` + mmap would give. */
export class PerfBuffer {
  readonly records: PerfRecord[] = [];
  lost = 0;
  constructor(
    readonly cpu: number,
    readonly capacity = 65_536,
  ) {}

  push(record: PerfRecord): void {
    if (this.records.length >= this.capacity) this.lost++;
    else this.records.push(record);
  }

  /** Take every record written so far. */
  drain(): PerfRecord[] {
    return this.records.splice(0);
  }
}

export const BPF_F_CURRENT_CPU = 0xffffffff;

/**
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY: per-CPU event buffers. `open(index)` plays the part of
 * attaching a perf event fd to a slot. Output follows the kernel's rules: an index past the end
 * is E2BIG, an empty slot ENOENT, a buffer of another CPU EOPNOTSUPP.
 */
export class PerfEventArrayMap extends ObjectSlotMap<PerfBuffer> {
  constructor(spec: MapSpec, id: number, handle: number, deps: MapDeps) {
    super(spec, id, handle, deps, true);
  }

  open(index: number, cpu = index): PerfBuffer {
    const buf = new PerfBuffer(cpu);
    this.set(index, buf);
    return buf;
  }

  protected resolve(): PerfBuffer {
    return this.fail('EOPNOTSUPP', 'perf event buffers are attached with open(), not by writing a value');
  }

  protected describe(b: PerfBuffer): Uint8Array {
    return Uint8Array.of(b.cpu, 0, 0, 0);
  }

  /**
   * bpf_perf_event_output's buffer: index from the flags' low 32 bits (BPF_F_CURRENT_CPU = this
   * CPU), or the error the kernel gives before it copies anything.
   */
  target(indexFlag: number, cpu: number): PerfBuffer | number {
    const index = indexFlag === BPF_F_CURRENT_CPU ? cpu : indexFlag;
    if (index >= this.spec.maxEntries) return Err.E2BIG;
    const buf = this.slots.get(index);
    if (!buf) return Err.ENOENT;
    if (buf.cpu !== cpu) return Err.EOPNOTSUPP;
    return buf;
  }

  output(indexFlag: number, cpu: number, data: Uint8Array): number {
    const buf = this.target(indexFlag, cpu);
    if (typeof buf === 'number') return buf;
    buf.push({ cpu, data });
    return 0;
  }
}
