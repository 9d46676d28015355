import type { MapSpec } from '../object-spec/map-spec.js';
import { readU32, refuseDeviceBound, type MapDeps } from './map.js';
import { ObjectSlotMap } from './object-slots.js';

/** A cpumap entry: the target CPU's queue of redirected frames. */
export interface CpumapEntry {
  cpu: number;
  queueSize: number;
  programId: number;
  readonly frames: Uint8Array[];
}

/**
 * BPF_MAP_TYPE_CPUMAP: redirect targets that hand frames to another CPU's queue. Values are
 * struct bpf_cpumap_val { u32 qsize; u32 prog }; qsize 0 clears the slot. A full queue drops.
 */
export class CpuMap extends ObjectSlotMap<CpumapEntry> {
  constructor(spec: MapSpec, id: number, handle: number, deps: MapDeps) {
    super(spec, id, handle, deps, true, [4, 8]);
  }

  protected resolve(value: Uint8Array, index: number): CpumapEntry | undefined {
    const queueSize = readU32(value);
    const programId = value.length >= 8 ? readU32(value.subarray(4)) : 0;
    if (queueSize === 0) return undefined;
    if (queueSize > 16384) this.fail('EOVERFLOW', `queue size ${queueSize} is above 16384`);
    if (index >= this.deps.possibleCpus) this.fail('ENODEV', `CPU ${index} does not exist (${this.deps.possibleCpus} possible)`);
    const prog = programId ? this.deps.objects?.program(programId) : undefined;
    if (prog) refuseDeviceBound(prog, (why) => this.fail('EINVAL', why));
    return { cpu: index, queueSize, programId, frames: [] };
  }

  protected describe(e: CpumapEntry): Uint8Array {
    const out = new Uint8Array(this.spec.valueSize);
    new DataView(out.buffer).setUint32(0, e.queueSize, true);
    if (out.length >= 8) new DataView(out.buffer).setUint32(4, e.programId, true);
    return out;
  }

  /** Queue a redirected frame; false when the queue is full (the frame is dropped). */
  enqueue(index: number, frame: Uint8Array): boolean {
    const e = this.slots.get(index);
    if (!e || e.frames.length >= e.queueSize) return false;
    e.frames.push(frame);
    return true;
  }
}
