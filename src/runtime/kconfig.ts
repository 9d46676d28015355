import { release } from 'node:os';
import { XdpchainError } from '../errors/index.js';
import type { MapSpec } from '../object-spec/map-spec.js';

/** LINUX_KERNEL_VERSION as libbpf computes it: KERNEL_VERSION(major, minor, min(patch, 255)). */
export function kernelVersionCode(text = release()): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return 0;
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(Number(m[3] ?? 0), 255);
}

/** Values libbpf itself provides, whatever the kernel's config says. */
export function builtinKconfig(): Record<string, bigint> {
  return {
    LINUX_KERNEL_VERSION: BigInt(kernelVersionCode()),
    LINUX_HAS_BPF_COOKIE: 1n,
    LINUX_HAS_SYSCALL_WRAPPER: 1n,
  };
}

/**
 * The initial value of a `.kconfig` map: each extern's known value (given values win over the
 * built-in ones); a weak extern nobody knows reads as zero, a strong one fails the load.
 */
export function kconfigData(spec: MapSpec, given: Readonly<Record<string, bigint | number>>): Uint8Array {
  const out = new Uint8Array(spec.valueSize);
  const dv = new DataView(out.buffer);
  const known: Record<string, bigint | number> = { ...builtinKconfig(), ...given };
  for (const e of spec.kconfig ?? []) {
    const v = known[e.name];
    if (v === undefined) {
      if (e.weak) continue;
      throw new XdpchainError('ENOENT', `extern ${e.name} (.kconfig) has no value here; declare it __weak or give it a value (kconfig option)`);
    }
    const n = BigInt.asUintN(e.size * 8, BigInt(v));
    for (let i = 0; i < e.size; i++) dv.setUint8(e.offset + i, Number((n >> BigInt(8 * i)) & 0xffn));
  }
  return out;
}
